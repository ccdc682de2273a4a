/* The simulated central and the log of what it saw, behind the ArduinoBLE stand-in. */
#include <stdio.h>
#include <stdlib.h>

#include <algorithm>

#include "ArduinoBLE.h"
#include "sim.h"
#include "utility/ATT.h"

namespace {
struct Central {
    bool connected = false;
    uint16_t handle = 0;
    uint16_t mtu = 23;
};

Central g_central;
bool g_begun = false;
bool g_advertising = false;
std::string g_name;
std::vector<BLECharacteristic *> &registry() {
    static std::vector<BLECharacteristic *> all;
    return all;
}

std::string hex(const uint8_t *data, size_t n) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (size_t i = 0; i < n; ++i) {
        out += digits[data[i] >> 4];
        out += digits[data[i] & 15];
    }
    return out.empty() ? "-" : out;
}

/* One log line: "EVENT TIME_US [ARGS]". */
void log_line(const std::string &event, const std::string &args = "") {
    sim::ble_log().push_back(event + " " + std::to_string(sim::now_us()) + (args.empty() ? "" : " " + args));
}

BLECharacteristic *find(const std::string &uuid) {
    for (BLECharacteristic *c : registry())
        if (c->added && c->uuid == uuid) return c;
    fprintf(stderr, "the central asked for characteristic %s, which the sketch does not offer\n", uuid.c_str());
    exit(5);
}
}  // namespace

BLECharacteristic::BLECharacteristic(const char *uuid_, uint16_t properties_, int valueSize_, bool)
    : uuid(uuid_), properties(properties_), valueSize(valueSize_) {
    registry().push_back(this);
}

BLECharacteristic::~BLECharacteristic() {
    std::vector<BLECharacteristic *> &all = registry();
    all.erase(std::remove(all.begin(), all.end(), this), all.end());
}

int BLECharacteristic::writeValue(const uint8_t v[], int length, bool) {
    if (length < 0 || length > valueSize) return 0;
    _value.assign(v, v + length);
    if (g_central.connected && subscribedFlag && (properties & BLENotify)) {
        int sent = std::min(length, (int)g_central.mtu - 3);
        sim::ble_log().push_back("notify " + std::to_string(sim::now_us()) + " " + uuid + " " + hex(v, (size_t)sent));
    }
    return 1;
}

bool BLECharacteristic::written() {
    bool w = writtenFlag;
    writtenFlag = false;
    return w;
}

bool BLECharacteristic::subscribed() const { return g_central.connected && subscribedFlag; }

void BLEService::addCharacteristic(BLECharacteristic &c) { characteristics.push_back(&c); }

static BLELocalDevice g_ble;
BLELocalDevice &BLE = g_ble;
static ATTClass g_att;
ATTClass &ATT = g_att;

int BLELocalDevice::begin() {
    g_begun = true;
    return 1;
}

bool BLELocalDevice::setLocalName(const char *name) {
    g_name = name;
    return true;
}

bool BLELocalDevice::setDeviceName(const char *) { return true; }

void BLELocalDevice::addService(BLEService &service) {
    if (!g_begun) {
        fprintf(stderr, "BLE.addService before BLE.begin\n");
        exit(4);
    }
    for (BLECharacteristic *c : service.characteristics) c->added = true;
    log_line("service", service.uuid);
}

bool BLELocalDevice::setAdvertisedService(const BLEService &service) {
    log_line("advertised_service", service.uuid);
    return true;
}

void BLELocalDevice::setConnectionInterval(uint16_t, uint16_t) {}

int BLELocalDevice::advertise() {
    g_advertising = true;
    log_line("advertise", g_name);
    return 1;
}

bool BLELocalDevice::connected() const { return g_central.connected; }

bool BLELocalDevice::disconnect() {
    sim::ble_disconnect();
    return true;
}

bool ATTClass::connected() const { return g_central.connected; }
bool ATTClass::connected(uint16_t handle) const { return g_central.connected && g_central.handle == handle; }
uint16_t ATTClass::mtu(uint16_t handle) const { return connected(handle) ? g_central.mtu : 23; }

namespace sim {
std::vector<std::string> &ble_log() {
    static std::vector<std::string> lines;
    return lines;
}

void ble_connect(uint16_t handle) {
    if (!g_advertising) {
        log_line("connect_refused");
        return;
    }
    g_advertising = false;
    g_central.connected = true;
    g_central.handle = handle;
    g_central.mtu = 23;
    log_line("connect");
}

void ble_subscribe_all() {
    for (BLECharacteristic *c : registry())
        if (c->added && (c->properties & BLENotify)) c->subscribedFlag = true;
    log_line("subscribe");
}

void ble_exchange_mtu(uint16_t mtu) {
    g_central.mtu = mtu;
    log_line("mtu", std::to_string(mtu));
}

void ble_disconnect() {
    g_central.connected = false;
    for (BLECharacteristic *c : registry()) c->subscribedFlag = false;
    log_line("disconnect");
}

void ble_write(const std::string &uuid, const std::vector<uint8_t> &value) {
    BLECharacteristic *c = find(uuid);
    if (!(c->properties & (BLEWrite | BLEWriteWithoutResponse)) || (int)value.size() > c->valueSize) {
        log_line("write_refused", uuid);
        return;
    }
    c->_value = value;
    c->writtenFlag = true;
    log_line("write", uuid);
}

void ble_read(const std::string &uuid) {
    BLECharacteristic *c = find(uuid);
    if (!(c->properties & BLERead)) {
        log_line("read_refused", uuid);
        return;
    }
    /* ATT long reads (Read Blob) return the whole value whatever the MTU */
    ble_log().push_back("read " + std::to_string(now_us()) + " " + uuid + " " + hex(c->value(), c->_value.size()));
}
}  // namespace sim

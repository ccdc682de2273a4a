/* Host stand-in for ArduinoBLE (peripheral role): the calls EdgeharStream uses, with one simulated
   central that connects, exchanges MTU, subscribes, reads and writes as the runner tells it. Like
   ArduinoBLE, a notification longer than MTU - 3 is cut to MTU - 3 bytes. */
#ifndef EDGEHAR_HOST_ARDUINOBLE_H
#define EDGEHAR_HOST_ARDUINOBLE_H

#include <stdint.h>

#include <string>
#include <vector>

enum BLEProperty {
    BLEBroadcast = 0x01,
    BLERead = 0x02,
    BLEWriteWithoutResponse = 0x04,
    BLEWrite = 0x08,
    BLENotify = 0x10,
    BLEIndicate = 0x20
};

class BLECharacteristic {
public:
    BLECharacteristic(const char *uuid, uint16_t properties, int valueSize, bool fixedLength = false);
    ~BLECharacteristic();
    BLECharacteristic(const BLECharacteristic &) = delete;
    BLECharacteristic &operator=(const BLECharacteristic &) = delete;

    int writeValue(const uint8_t value[], int length, bool withResponse = true);
    const uint8_t *value() const { return _value.data(); }
    int valueLength() const { return (int)_value.size(); }
    bool written();
    bool subscribed() const;

    /* simulation side */
    std::string uuid;
    uint16_t properties;
    int valueSize;
    bool added = false;
    bool subscribedFlag = false;
    bool writtenFlag = false;
    std::vector<uint8_t> _value;
};

class BLEService {
public:
    explicit BLEService(const char *uuid) : uuid(uuid) {}
    void addCharacteristic(BLECharacteristic &characteristic);
    std::string uuid;
    std::vector<BLECharacteristic *> characteristics;
};

class BLELocalDevice {
public:
    int begin();
    void end() {}
    bool setLocalName(const char *name);
    bool setDeviceName(const char *name);
    void addService(BLEService &service);
    bool setAdvertisedService(const BLEService &service);
    void setConnectionInterval(uint16_t minimum, uint16_t maximum);
    int advertise();
    void stopAdvertise() {}
    void poll() {}
    bool connected() const;
    bool disconnect();
};

extern BLELocalDevice &BLE;

#endif

/*
 * Runs an Arduino sketch on the host for a few simulated seconds: setup(), then loop() over and
 * over while the simulated clock advances, with scheduled link events. Writes what the sketch sent.
 *
 *   runner --seconds S [--clock-offset-us N] [--loop-us N]
 *          [--serial-out PATH] [--ble-out PATH] [--state-out PATH]
 *          [--serial-closed-until S] [--serial-write S:HEX]...
 *          [--ble-connect S[:HANDLE]] [--ble-subscribe S] [--ble-mtu S:MTU] [--ble-disconnect S]
 *          [--ble-write S:UUID:HEX] [--ble-read S:UUID]...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "sim.h"

void setup();
void loop();

namespace {
struct Event {
    uint64_t at_us;
    int order;
    std::function<void()> fire;
};

[[noreturn]] void usage(const char *why) {
    fprintf(stderr, "runner: %s\n", why);
    exit(2);
}

uint64_t seconds_to_us(const std::string &s) { return (uint64_t)(strtod(s.c_str(), nullptr) * 1e6 + 0.5); }

std::vector<uint8_t> unhex(const std::string &h) {
    std::vector<uint8_t> out;
    if (h.size() % 2) usage("odd-length hex string");
    for (size_t i = 0; i < h.size(); i += 2) out.push_back((uint8_t)strtoul(h.substr(i, 2).c_str(), nullptr, 16));
    return out;
}

std::vector<std::string> split(const std::string &s) {
    std::vector<std::string> parts;
    size_t start = 0, colon;
    while ((colon = s.find(':', start)) != std::string::npos) {
        parts.push_back(s.substr(start, colon - start));
        start = colon + 1;
    }
    parts.push_back(s.substr(start));
    return parts;
}

void write_file(const std::string &path, const void *data, size_t n) {
    if (path.empty()) return;
    FILE *f = fopen(path.c_str(), "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) usage(("cannot write " + path).c_str());
}

void write_lines(const std::string &path, const std::vector<std::string> &lines) {
    std::string text;
    for (const std::string &l : lines) text += l + "\n";
    write_file(path, text.data(), text.size());
}
}  // namespace

int main(int argc, char **argv) {
    uint64_t duration = 0, loop_us = 50;
    std::string serial_out, ble_out, state_out;
    std::vector<Event> events;
    int order = 0;
    for (int i = 1; i < argc; ++i) {
        std::string opt = argv[i];
        if (i + 1 >= argc) usage(("missing value after " + opt).c_str());
        std::string val = argv[++i];
        std::vector<std::string> p = split(val);
        if (opt == "--seconds") duration = seconds_to_us(val);
        else if (opt == "--clock-offset-us") sim::set_clock_offset_us((uint32_t)strtoul(val.c_str(), nullptr, 10));
        else if (opt == "--loop-us") loop_us = strtoull(val.c_str(), nullptr, 10);
        else if (opt == "--serial-out") serial_out = val;
        else if (opt == "--ble-out") ble_out = val;
        else if (opt == "--state-out") state_out = val;
        else if (opt == "--serial-closed-until") {
            sim::serial_set_open(false);
            events.push_back({seconds_to_us(val), order++, [] { sim::serial_set_open(true); }});
        } else if (opt == "--serial-write" && p.size() == 2) {
            std::vector<uint8_t> bytes = unhex(p[1]);
            events.push_back({seconds_to_us(p[0]), order++, [bytes] { sim::serial_inject(bytes); }});
        } else if (opt == "--ble-connect") {
            uint16_t handle = p.size() > 1 ? (uint16_t)strtoul(p[1].c_str(), nullptr, 10) : 0;
            events.push_back({seconds_to_us(p[0]), order++, [handle] { sim::ble_connect(handle); }});
        } else if (opt == "--ble-subscribe") {
            events.push_back({seconds_to_us(val), order++, [] { sim::ble_subscribe_all(); }});
        } else if (opt == "--ble-mtu" && p.size() == 2) {
            uint16_t mtu = (uint16_t)strtoul(p[1].c_str(), nullptr, 10);
            events.push_back({seconds_to_us(p[0]), order++, [mtu] { sim::ble_exchange_mtu(mtu); }});
        } else if (opt == "--ble-disconnect") {
            events.push_back({seconds_to_us(val), order++, [] { sim::ble_disconnect(); }});
        } else if (opt == "--ble-write" && p.size() == 3) {
            std::string uuid = p[1];
            std::vector<uint8_t> bytes = unhex(p[2]);
            events.push_back({seconds_to_us(p[0]), order++, [uuid, bytes] { sim::ble_write(uuid, bytes); }});
        } else if (opt == "--ble-read" && p.size() == 2) {
            std::string uuid = p[1];
            events.push_back({seconds_to_us(p[0]), order++, [uuid] { sim::ble_read(uuid); }});
        } else {
            usage(("unknown option or malformed value: " + opt + " " + val).c_str());
        }
    }
    if (duration == 0) usage("--seconds is required");
    std::stable_sort(events.begin(), events.end(),
                     [](const Event &a, const Event &b) { return a.at_us < b.at_us; });
    sim::set_deadline_us(duration);

    setup();
    size_t next = 0;
    while (sim::now_us() < duration) {
        while (next < events.size() && events[next].at_us <= sim::now_us()) events[next++].fire();
        loop();
        sim::advance_us(loop_us);
    }
    const std::vector<uint8_t> &out = sim::serial_output();
    write_file(serial_out, out.data(), out.size());
    write_lines(ble_out, sim::ble_log());
    write_lines(state_out, sim::state_lines());
    fprintf(stderr, "ran %.3f simulated s: %zu serial bytes, %zu BLE log lines\n", (double)duration / 1e6, out.size(),
            sim::ble_log().size());
    return 0;
}

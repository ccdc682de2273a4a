/* Simulated clock and serial port behind the Arduino.h stand-in. */
#include <stdio.h>
#include <stdlib.h>

#include <deque>

#include "Arduino.h"
#include "sim.h"

namespace {
uint64_t g_now = 0;
uint32_t g_offset = 0;
uint64_t g_deadline = UINT64_MAX;
std::vector<uint8_t> g_serial_out;
std::deque<uint8_t> g_serial_in;
bool g_serial_open = true;
unsigned long g_baud = 0;
}  // namespace

namespace sim {
uint64_t now_us() { return g_now; }

void advance_us(uint64_t us) {
    g_now += us;
    if (g_now > g_deadline + 1000000u) {
        /* a sketch spinning in delay() (e.g. its failure blink) would never return to the runner */
        fprintf(stderr, "sketch never returned from loop(): still in delay() at %.3f s\n", (double)g_now / 1e6);
        exit(3);
    }
}

void set_clock_offset_us(uint32_t offset) { g_offset = offset; }
void set_deadline_us(uint64_t deadline) { g_deadline = deadline; }

int16_t signal(uint64_t k, unsigned channel) {
    return (int16_t)((int64_t)((k * (37u + 11u * channel) + 1000u * channel) % 20001u) - 10000);
}

std::vector<uint8_t> &serial_output() { return g_serial_out; }
void serial_inject(const std::vector<uint8_t> &bytes) { g_serial_in.insert(g_serial_in.end(), bytes.begin(), bytes.end()); }
void serial_set_open(bool open) { g_serial_open = open; }

std::vector<std::string> &state_lines() {
    static std::vector<std::string> lines;
    return lines;
}
}  // namespace sim

unsigned long millis() { return (unsigned long)(uint32_t)((g_offset + g_now) / 1000u); }
unsigned long micros() { return (unsigned long)(uint32_t)(g_offset + g_now); }
void delay(unsigned long ms) { sim::advance_us((uint64_t)ms * 1000u); }
void delayMicroseconds(unsigned int us) { sim::advance_us(us); }
void pinMode(uint8_t, uint8_t) {}
void digitalWrite(uint8_t, uint8_t) {}

HostSerial Serial;

void HostSerial::begin(unsigned long baud) { g_baud = baud; }
HostSerial::operator bool() const { return g_serial_open; }
int HostSerial::available() { return (int)g_serial_in.size(); }

int HostSerial::read() {
    if (g_serial_in.empty()) return -1;
    int b = g_serial_in.front();
    g_serial_in.pop_front();
    return b;
}

size_t HostSerial::write(uint8_t byte) { return write(&byte, 1); }

size_t HostSerial::write(const uint8_t *data, size_t len) {
    if (g_baud == 0) {
        fprintf(stderr, "sketch wrote to Serial before Serial.begin()\n");
        exit(4);
    }
    if (!g_serial_open) return 0; /* nobody listening: bytes are lost, as on USB CDC */
    g_serial_out.insert(g_serial_out.end(), data, data + len);
    return len;
}

int HostSerial::availableForWrite() { return 4096; }

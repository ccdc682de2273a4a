/*
 * Control side of the host stand-ins: the simulated clock, the test pattern the simulated IMUs
 * produce, and the links' recorded traffic. Used by runner.cpp; sketches never include it.
 */
#ifndef EDGEHAR_HOST_SIM_H
#define EDGEHAR_HOST_SIM_H

#include <stddef.h>
#include <stdint.h>

#include <string>
#include <vector>

namespace sim {

/* Simulated time since the run started; micros() reports (clock_offset_us + now) mod 2^32. */
uint64_t now_us();
void advance_us(uint64_t us);
void set_clock_offset_us(uint32_t offset);
void set_deadline_us(uint64_t deadline);

/* Raw int16 of sample k on channel c of every simulated IMU (tests recompute it in Python). */
int16_t signal(uint64_t k, unsigned channel);

/* Serial: what the sketch wrote, and bytes the host sends it. */
std::vector<uint8_t> &serial_output();
void serial_inject(const std::vector<uint8_t> &bytes);
void serial_set_open(bool open);

/* BLE central, driven by the runner. Each event the stand-in sees is appended to ble_log() as
   one text line: "notify T UUID HEX", "read T UUID HEX", "advertise T", "connect T", ... */
std::vector<std::string> &ble_log();
void ble_connect(uint16_t handle);
void ble_subscribe_all();
void ble_exchange_mtu(uint16_t mtu);
void ble_disconnect();
void ble_write(const std::string &uuid, const std::vector<uint8_t> &value);
void ble_read(const std::string &uuid);

/* A line for the runner's state file (e.g. the MPU6050 range registers the sketch wrote). */
std::vector<std::string> &state_lines();

}  // namespace sim

#endif

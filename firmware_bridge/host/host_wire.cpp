/* Simulated MPU6050 behind the Wire stand-in: register file, sample rate from SMPLRT_DIV and
   DLPF_CFG, DATA_RDY in INT_STATUS (cleared by reading it), big-endian sample registers. */
#include <stdio.h>
#include <stdlib.h>

#include "Wire.h"
#include "sim.h"
#include "sim_imu.h"

TwoWire Wire;

namespace {
struct Mpu6050 {
    uint8_t regs[128] = {0};
    uint8_t pointer = 0;
    SimImu imu;
    bool data_ready_latched = false;

    Mpu6050() {
        regs[0x75] = 0x68; /* WHO_AM_I */
        regs[0x6B] = 0x40; /* PWR_MGMT_1: asleep after power-up */
    }

    double rate() const {
        unsigned dlpf = regs[0x1A] & 0x07;
        double gyro_rate = (dlpf == 0 || dlpf == 7) ? 8000.0 : 1000.0;
        return gyro_rate / (1.0 + regs[0x19]);
    }

    void write_reg(uint8_t reg, uint8_t value) {
        regs[reg & 0x7F] = value;
        if (reg == 0x6B || reg == 0x19 || reg == 0x1A) {
            if (regs[0x6B] & 0x40) imu.stop();
            else imu.start(rate());
        }
    }

    void refresh() {
        if (imu.running() && imu.fresh()) {
            uint64_t k = imu.take();
            const unsigned order[7] = {0, 1, 2, 99, 3, 4, 5}; /* accel, temperature, gyro */
            for (unsigned i = 0; i < 7; ++i) {
                int16_t v = order[i] == 99 ? (int16_t)3400 : sim::signal(k, order[i]);
                regs[0x3B + 2 * i] = (uint8_t)((uint16_t)v >> 8);
                regs[0x3B + 2 * i + 1] = (uint8_t)((uint16_t)v & 0xFF);
            }
            data_ready_latched = true;
        }
        regs[0x3A] = data_ready_latched ? 0x01 : 0x00;
    }

    uint8_t read_next() {
        if (pointer == 0x3A || pointer == 0x3B) refresh(); /* a burst read sees one consistent sample */
        uint8_t v = regs[pointer & 0x7F];
        if (pointer == 0x3A) data_ready_latched = false;
        pointer = (uint8_t)(pointer + 1);
        return v;
    }
};

Mpu6050 mpu;

void record_state() {
    char line[128];
    snprintf(line, sizeof line, "mpu6050 accel_config=%u gyro_config=%u rate_hz=%.3f", mpu.regs[0x1C], mpu.regs[0x1B],
             mpu.rate());
    std::vector<std::string> &lines = sim::state_lines();
    lines.clear();
    lines.push_back(line);
}
}  // namespace

void TwoWire::begin() { _begun = true; }
void TwoWire::begin(int, int) { _begun = true; }
void TwoWire::setClock(uint32_t) {}

void TwoWire::beginTransmission(uint8_t address) {
    if (!_begun) {
        fprintf(stderr, "Wire used before Wire.begin()\n");
        exit(4);
    }
    _address = address;
    _txLen = 0;
}

size_t TwoWire::write(uint8_t byte) {
    if (_txLen >= sizeof _tx) return 0;
    _tx[_txLen++] = byte;
    return 1;
}

uint8_t TwoWire::endTransmission(bool) {
    if (_address != 0x68) return 2; /* NACK on address */
    if (_txLen >= 1) mpu.pointer = _tx[0];
    for (size_t i = 1; i < _txLen; ++i) mpu.write_reg((uint8_t)(_tx[0] + i - 1), _tx[i]);
    if (_txLen > 1) record_state();
    return 0;
}

uint8_t TwoWire::requestFrom(uint8_t address, uint8_t quantity) {
    _rxLen = _rxPos = 0;
    if (address != 0x68 || quantity > sizeof _rx) return 0;
    for (uint8_t i = 0; i < quantity; ++i) _rx[_rxLen++] = mpu.read_next();
    return quantity;
}

int TwoWire::available() { return (int)(_rxLen - _rxPos); }
int TwoWire::read() { return _rxPos < _rxLen ? _rx[_rxPos++] : -1; }

/* Host stand-in for the Arduino Wire (I2C) library with one simulated MPU6050 at address 0x68. */
#ifndef EDGEHAR_HOST_WIRE_H
#define EDGEHAR_HOST_WIRE_H

#include <stddef.h>
#include <stdint.h>

class TwoWire {
public:
    void begin();
    void begin(int sda, int scl);
    void setClock(uint32_t hz);
    void beginTransmission(uint8_t address);
    size_t write(uint8_t byte);
    uint8_t endTransmission(bool sendStop = true);
    uint8_t requestFrom(uint8_t address, uint8_t quantity);
    int available();
    int read();

private:
    uint8_t _address = 0;
    uint8_t _tx[32];
    size_t _txLen = 0;
    uint8_t _rx[32];
    size_t _rxLen = 0, _rxPos = 0;
    bool _begun = false;
};

extern TwoWire Wire;

#endif

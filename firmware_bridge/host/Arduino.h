/* Host stand-in for the Arduino core: the subset edgehar sketches use, on a simulated clock. */
#ifndef EDGEHAR_HOST_ARDUINO_H
#define EDGEHAR_HOST_ARDUINO_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define HIGH 1
#define LOW 0
#define OUTPUT 1
#define INPUT 0
#define LED_BUILTIN 13

unsigned long millis();
unsigned long micros();
void delay(unsigned long ms);
void delayMicroseconds(unsigned int us);
void pinMode(uint8_t pin, uint8_t mode);
void digitalWrite(uint8_t pin, uint8_t value);

/* USB CDC / UART: bytes written go to the simulation's serial output; true once a host opened it. */
class HostSerial {
public:
    void begin(unsigned long baud);
    explicit operator bool() const;
    int available();
    int read();
    size_t write(uint8_t byte);
    size_t write(const uint8_t *data, size_t len);
    int availableForWrite();
    void flush() {}
};

extern HostSerial Serial;

#endif

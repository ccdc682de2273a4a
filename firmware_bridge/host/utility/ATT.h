/* Host stand-in for ArduinoBLE's utility/ATT.h: per-connection-handle state and MTU. */
#ifndef EDGEHAR_HOST_ATT_H
#define EDGEHAR_HOST_ATT_H

#include <stdint.h>

class ATTClass {
public:
    bool connected() const;
    bool connected(uint16_t handle) const;
    uint16_t mtu(uint16_t handle) const;
};

extern ATTClass &ATT;

#endif

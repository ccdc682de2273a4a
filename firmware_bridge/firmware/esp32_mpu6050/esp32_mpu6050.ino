/*
 * edgehar streamer for an ESP32 devkit with an MPU6050 on I2C (SDA 21, SCL 22, AD0 low: 0x68).
 * Reads raw registers at 100 Hz (data-ready flag) and streams accelerometer (g) and gyroscope
 * (deg/s) as edgehar frames over the UART bridge at 460800 baud and over BLE (ArduinoBLE's ESP32
 * support; build with -DEDGEHAR_WITH_BLE=0 for serial only).
 */
#include <Wire.h>
#include <EdgeharStream.h>

#define MPU_ADDR 0x68
#define REG_SMPLRT_DIV 0x19
#define REG_CONFIG 0x1A
#define REG_GYRO_CONFIG 0x1B
#define REG_ACCEL_CONFIG 0x1C
#define REG_INT_ENABLE 0x38
#define REG_INT_STATUS 0x3A
#define REG_ACCEL_XOUT_H 0x3B
#define REG_PWR_MGMT_1 0x6B
#define REG_WHO_AM_I 0x75

/* +/-8 g (AFS_SEL 2: 4096 LSB/g) and +/-500 dps (FS_SEL 1: 65.5 LSB/dps): arm swings in HAR
   exceed the MPU6050's +/-2 g / +/-250 dps power-on defaults. */
static const float ACC_SCALE = 1.0f / 4096.0f;
static const float GYR_SCALE = 1.0f / 65.5f;

static const edgehar_channel CHANNELS[6] = {
    {"acc_x", "g", ACC_SCALE, 8.0f},       {"acc_y", "g", ACC_SCALE, 8.0f},
    {"acc_z", "g", ACC_SCALE, 8.0f},       {"gyr_x", "deg/s", GYR_SCALE, 500.0f},
    {"gyr_y", "deg/s", GYR_SCALE, 500.0f}, {"gyr_z", "deg/s", GYR_SCALE, 500.0f},
};
static const edgehar_config CONFIG = {100000u, EDGEHAR_DEFAULT_SAMPLES_PER_FRAME, 0, "edgehar-esp32",
                                      "esp32-mpu6050 1.0.0", CHANNELS, 6};

static EdgeharStream stream;

static bool writeReg(uint8_t reg, uint8_t value) {
    Wire.beginTransmission(MPU_ADDR);
    Wire.write(reg);
    Wire.write(value);
    return Wire.endTransmission() == 0;
}

static bool readRegs(uint8_t reg, uint8_t *out, uint8_t n) {
    Wire.beginTransmission(MPU_ADDR);
    Wire.write(reg);
    if (Wire.endTransmission(false) != 0) return false;
    if (Wire.requestFrom((uint8_t)MPU_ADDR, n) != n) return false;
    for (uint8_t i = 0; i < n; ++i) out[i] = (uint8_t)Wire.read();
    return true;
}

static bool beginMpu() {
    uint8_t who = 0;
    if (!readRegs(REG_WHO_AM_I, &who, 1) || who != 0x68) return false;
    return writeReg(REG_PWR_MGMT_1, 0x01)       /* wake, clock from the X gyro PLL */
           && writeReg(REG_CONFIG, 0x03)        /* DLPF 44 Hz: gyro output rate 1 kHz */
           && writeReg(REG_SMPLRT_DIV, 9)       /* 1 kHz / (1 + 9) = 100 Hz */
           && writeReg(REG_GYRO_CONFIG, 0x08)   /* FS_SEL 1: +/-500 dps */
           && writeReg(REG_ACCEL_CONFIG, 0x10)  /* AFS_SEL 2: +/-8 g */
           && writeReg(REG_INT_ENABLE, 0x01);   /* DATA_RDY flag */
}

void setup() {
    Serial.begin(460800);
    Wire.begin();
    Wire.setClock(400000);
    while (!beginMpu()) delay(500); /* sensor missing or miswired: retry, the host sees no frames */
    stream.begin(CONFIG);
}

void loop() {
    uint8_t status = 0, d[14];
    stream.poll();
    if (!readRegs(REG_INT_STATUS, &status, 1) || !(status & 0x01)) return;
    uint32_t t = micros();
    if (!readRegs(REG_ACCEL_XOUT_H, d, sizeof d)) return;
    /* big-endian registers: accel x,y,z, temperature (skipped), gyro x,y,z */
    const int16_t raw[6] = {
        (int16_t)((d[0] << 8) | d[1]),   (int16_t)((d[2] << 8) | d[3]),   (int16_t)((d[4] << 8) | d[5]),
        (int16_t)((d[8] << 8) | d[9]),   (int16_t)((d[10] << 8) | d[11]), (int16_t)((d[12] << 8) | d[13]),
    };
    stream.addSample(t, raw);
}

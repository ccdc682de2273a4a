# Board entry point (ESP32 + MPU6050 on SDA 21 / SCL 22): frames go out on USB serial.
import sys
import time

from machine import I2C, Pin

import edgehar_stream
import mpu6050

i2c = I2C(0, scl=Pin(22), sda=Pin(21), freq=400000)
sensor = mpu6050.MPU6050(i2c)
out = sys.stdout.buffer
edgehar_stream.stream(sensor, out.write, time.ticks_us, time.ticks_diff)

"""The on-device runtime: live IMU in, activity out. Imports numpy, an interpreter and a link only."""

/*
 * EdgeharStream: the part every edgehar sketch shares. A sketch describes its channels
 * (edgehar_config), calls poll() every loop and addSample() for every IMU reading; this class
 * batches samples into DATA frames and sends them over USB serial (COBS + CRC-16) and BLE (one frame
 * per notification, samples per frame from the negotiated MTU), answers CONTROL frames from either
 * link, and sends CONFIG frames when a link comes up, on request and on change (PROTOCOL.md).
 *
 * Compile-time choices, defined before including this header:
 *   EDGEHAR_WITH_BLE  1 (default): also stream over BLE with ArduinoBLE; 0: serial only
 *   EDGEHAR_BLE_NUS   0 (default): the edgehar GATT service; 1: Nordic UART Service instead
 * Header-only so those macros, set in the sketch, reach the code.
 */
#ifndef EDGEHAR_STREAM_H
#define EDGEHAR_STREAM_H

#include <Arduino.h>
#include <edgehar_codec.h>

#ifndef EDGEHAR_WITH_BLE
#define EDGEHAR_WITH_BLE 1
#endif
#ifndef EDGEHAR_BLE_NUS
#define EDGEHAR_BLE_NUS 0
#endif

#if EDGEHAR_WITH_BLE
#include <ArduinoBLE.h>
#include <utility/ATT.h>
#endif

/* Largest batch any link can use: a 512-byte frame. */
#define EDGEHAR_BATCH_VALUES ((EDGEHAR_MAX_PAYLOAD - EDGEHAR_HEADER_SIZE) / 2u)

class EdgeharStream {
public:
    /* cfg (and the strings and channels it points to) must outlive the stream. */
    bool begin(const edgehar_config &cfg) {
        _cfg = cfg;
        edgehar_stream_init(&_rx, _rxBuf, sizeof _rxBuf);
        _serial.preferred = EDGEHAR_DEFAULT_SAMPLES_PER_FRAME;
        initLink(_serial, serialTarget());
        _serialOpen = false;
#if EDGEHAR_WITH_BLE
        _ble.preferred = EDGEHAR_DEFAULT_SAMPLES_PER_FRAME;
        return beginBle();
#else
        return true;
#endif
    }

    /* Link housekeeping: host presence, incoming CONTROL frames, BLE connection and MTU. */
    void poll() {
        pollSerial();
#if EDGEHAR_WITH_BLE
        pollBle();
#endif
    }

    /* One reading of all channels, raw int16 counts, taken at device time t_us. */
    void addSample(uint32_t t_us, const int16_t *raw) {
        if (_serialOpen && _serial.streaming && addTo(_serial, t_us, raw)) sendSerialData();
#if EDGEHAR_WITH_BLE
        if (bleReady() && addTo(_ble, t_us, raw)) sendBleData();
#endif
    }

private:
    struct Link {
        edgehar_batcher batch;
        int16_t values[EDGEHAR_BATCH_VALUES];
        bool streaming;
        uint8_t preferred; /* samples per frame asked for; the link may allow fewer */
        uint8_t target;    /* samples per frame in use; 0 = nothing fits */
    };

    edgehar_config _cfg;
    Link _serial;
    edgehar_stream _rx;
    uint8_t _rxBuf[EDGEHAR_SERIAL_MAX_PACKET];
    uint8_t _frame[EDGEHAR_MAX_PAYLOAD];
    uint8_t _wire[EDGEHAR_SERIAL_MAX_WIRE];
    bool _serialOpen;

    void initLink(Link &link, uint8_t target) {
        link.streaming = true;
        link.target = target;
        /* target 0 (no room) still needs a valid batcher: keep 1 and never feed it */
        edgehar_batcher_init(&link.batch, link.values, EDGEHAR_BATCH_VALUES, _cfg.n_channels, target ? target : 1);
    }

    /* Adds a sample; true when a frame is ready to take. */
    static bool addTo(Link &link, uint32_t t_us, const int16_t *raw) {
        if (!link.streaming || link.target == 0) return false;
        return edgehar_batcher_add(&link.batch, t_us, raw) == 1;
    }

    uint8_t serialTarget() const {
        unsigned most = EDGEHAR_BATCH_VALUES / _cfg.n_channels;
        return (uint8_t)(_serial.preferred < most ? _serial.preferred : most);
    }

    int encodeConfig(uint8_t samplesPerFrame) {
        edgehar_config cfg = _cfg;
        cfg.samples_per_frame = samplesPerFrame;
        return edgehar_encode_config(_frame, sizeof _frame, &cfg);
    }

    void handleControl(Link &link, const uint8_t *payload, size_t len, bool ble) {
        edgehar_frame f;
        if (edgehar_decode_frame(payload, len, 0, &f) != EDGEHAR_OK || f.type != EDGEHAR_TYPE_CONTROL) return;
        switch (f.u.control.opcode) {
        case EDGEHAR_OP_START: link.streaming = true; break;
        case EDGEHAR_OP_STOP:
            link.streaming = false;
            link.batch.count = 0;
            break;
        case EDGEHAR_OP_SET_SAMPLES_PER_FRAME:
            if (f.u.control.arg == 0) break;
            link.preferred = f.u.control.arg;
            retarget(ble);
            sendConfig(ble);
            break;
        case EDGEHAR_OP_REQUEST_CONFIG: sendConfig(ble); break;
        default: break; /* unknown opcode: ignored, as the spec says */
        }
    }

    /* Applies the link's samples-per-frame limit; a batch already that full goes out now. */
    void retarget(bool ble) {
#if EDGEHAR_WITH_BLE
        if (ble) {
            _ble.target = bleTarget();
            if (_ble.target && edgehar_batcher_set_target(&_ble.batch, _ble.target) == 1) sendBleData();
            return;
        }
#endif
        (void)ble;
        _serial.target = serialTarget();
        if (edgehar_batcher_set_target(&_serial.batch, _serial.target) == 1) sendSerialData();
    }

    void sendConfig(bool ble) {
#if EDGEHAR_WITH_BLE
        if (ble) {
            sendBleConfig();
            return;
        }
#endif
        (void)ble;
        sendSerialConfig();
    }

    /* ---- serial ---- */
    void pollSerial() {
        bool open = (bool)Serial;
        if (open && !_serialOpen) {
            /* A host just opened the port: flush its decoder, then say what follows. */
            Serial.write((uint8_t)0);
            _serial.batch.count = 0;
            _serialOpen = true;
            sendSerialConfig();
        }
        _serialOpen = open;
        while (Serial.available() > 0) {
            int r = edgehar_stream_push(&_rx, (uint8_t)Serial.read());
            if (r > 0) handleControl(_serial, _rx.buf, (size_t)r, false);
        }
    }

    void writeSerial(int len) {
        if (len <= 0 || !_serialOpen) return;
        int n = edgehar_serial_wrap(_frame, (size_t)len, _wire, sizeof _wire);
        if (n > 0) Serial.write(_wire, (size_t)n);
    }

    void sendSerialConfig() { writeSerial(encodeConfig(_serial.target)); }

    void sendSerialData() { writeSerial(edgehar_batcher_take(&_serial.batch, _frame, sizeof _frame)); }

#if EDGEHAR_WITH_BLE
    /* ---- BLE ---- */
    Link _ble;
    bool _bleConnected = false;
    bool _txSubscribed = false;
    uint16_t _mtu = 23;

#if EDGEHAR_BLE_NUS
    BLEService _service{EDGEHAR_NUS_SERVICE_UUID};
    BLECharacteristic _data{EDGEHAR_NUS_TX_UUID, BLENotify, EDGEHAR_MAX_PAYLOAD};
    BLECharacteristic _control{EDGEHAR_NUS_RX_UUID, BLEWrite | BLEWriteWithoutResponse, EDGEHAR_MAX_PAYLOAD};
#else
    BLEService _service{EDGEHAR_SERVICE_UUID};
    BLECharacteristic _data{EDGEHAR_DATA_CHAR_UUID, BLENotify, EDGEHAR_MAX_PAYLOAD};
    BLECharacteristic _config{EDGEHAR_CONFIG_CHAR_UUID, BLERead | BLENotify, EDGEHAR_MAX_PAYLOAD};
    BLECharacteristic _control{EDGEHAR_CONTROL_CHAR_UUID, BLEWrite | BLEWriteWithoutResponse, EDGEHAR_CONTROL_SIZE};
#endif

    bool beginBle() {
        if (!BLE.begin()) return false;
        BLE.setLocalName(_cfg.device_name);
        BLE.setDeviceName(_cfg.device_name);
        _service.addCharacteristic(_data);
        _service.addCharacteristic(_control);
#if !EDGEHAR_BLE_NUS
        _service.addCharacteristic(_config);
#endif
        BLE.addService(_service);
        BLE.setAdvertisedService(_service);
        /* 15-30 ms: one 5-sample notification per event at 100 Hz; Apple accepts multiples of 15 ms. */
        BLE.setConnectionInterval(12, 24);
        updateBleConfig();
        BLE.advertise();
        return true;
    }

    /* The negotiated ATT MTU of the connected central (23 until an exchange). ArduinoBLE keeps
       it per connection handle; controllers hand out small handles, so the first live one is ours. */
    static uint16_t negotiatedMtu() {
        for (uint16_t handle = 0; handle < 16; ++handle)
            if (ATT.connected(handle)) return ATT.mtu(handle);
        return 23;
    }

    uint8_t bleTarget() const {
        return edgehar_samples_per_notification(_mtu, _cfg.n_channels, _ble.preferred);
    }

    bool bleReady() { return _bleConnected && _ble.streaming && _ble.target && _data.subscribed(); }

    void pollBle() {
        BLE.poll();
        bool connected = BLE.connected();
        if (connected && !_bleConnected) {
            _mtu = negotiatedMtu();
            initLink(_ble, bleTarget());
            _txSubscribed = false;
            updateBleConfig();
        } else if (!connected && _bleConnected) {
            BLE.advertise();
        }
        _bleConnected = connected;
        if (!connected) return;
        uint16_t mtu = negotiatedMtu();
        if (mtu != _mtu) { /* the central exchanged MTUs after connecting */
            _mtu = mtu;
            retarget(true);
            sendBleConfig();
        }
        bool subscribed = _data.subscribed();
        if (subscribed && !_txSubscribed) sendBleConfig();
        _txSubscribed = subscribed;
        if (_control.written()) handleControl(_ble, _control.value(), (size_t)_control.valueLength(), true);
    }

    void updateBleConfig() {
#if !EDGEHAR_BLE_NUS
        int len = encodeConfig(_ble.target);
        if (len > 0) _config.writeValue(_frame, len);
#endif
    }

    void sendBleConfig() {
#if EDGEHAR_BLE_NUS
        /* NUS has no config characteristic: in-band, and only if one notification holds it. */
        int len = encodeConfig(_ble.target);
        if (len > 0 && (unsigned)len + EDGEHAR_ATT_NOTIFY_OVERHEAD <= _mtu && _data.subscribed()) _data.writeValue(_frame, len);
#else
        updateBleConfig();
#endif
    }

    void sendBleData() {
        int len = edgehar_batcher_take(&_ble.batch, _frame, sizeof _frame);
        if (len > 0) _data.writeValue(_frame, len);
    }
#endif
};

#endif /* EDGEHAR_STREAM_H */

/*
 * libFuzzer target for the receiving half of the C codec: the byte-wise serial receiver, the frame
 * decoder, COBS and CRC. Besides memory errors (ASan) and undefined behaviour (UBSan) it aborts on
 * broken invariants, so a logic bug counts as a crash too:
 *   - every frame the decoder accepts re-encodes to exactly the bytes it was decoded from;
 *   - COBS and the serial wrapper round-trip any input;
 *   - the receiver's counters add up.
 * Build and run: see README.md (run_fuzz.sh).
 */
#include "edgehar_codec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(cond) \
    do {              \
        if (!(cond)) abort(); \
    } while (0)

static uint8_t scratch[4 * EDGEHAR_SERIAL_MAX_WIRE];

/* Copies a decoded string into a C string; returns 0 if it holds a NUL and so cannot round-trip. */
static int copy_str(char *dst, const edgehar_str *s) {
    memcpy(dst, s->ptr, s->len);
    dst[s->len] = 0;
    return memchr(s->ptr, 0, s->len) == NULL;
}

/* Decoding then encoding must give back the payload: nothing accepted is ambiguous. */
static void check_frame(const uint8_t *payload, size_t len, uint8_t channels) {
    edgehar_frame f;
    int r = edgehar_decode_frame(payload, len, channels, &f);
    int n;
    if (r != EDGEHAR_OK) {
        REQUIRE(r < 0 && edgehar_status_name(r)[0] != 'u'); /* a named status, never "unknown" */
        return;
    }
    if (f.type == EDGEHAR_TYPE_DATA) {
        static int16_t samples[EDGEHAR_MAX_PAYLOAD / 2];
        unsigned s, c, k = 0;
        REQUIRE(channels == 0 || f.u.data.n_channels == channels);
        for (s = 0; s < f.u.data.n_samples; ++s)
            for (c = 0; c < f.u.data.n_channels; ++c) samples[k++] = edgehar_data_sample(&f.u.data, s, c);
        n = edgehar_encode_data(scratch, sizeof scratch, f.u.data.seq, f.u.data.t0_us, samples, f.u.data.n_samples,
                                f.u.data.n_channels);
    } else if (f.type == EDGEHAR_TYPE_CONFIG) {
        static char strs[2 + 2 * EDGEHAR_MAX_CHANNELS][EDGEHAR_MAX_NAME + 1];
        edgehar_channel chans[EDGEHAR_MAX_CHANNELS];
        edgehar_config cfg;
        unsigned i;
        int plain = 1;
        cfg.rate_mhz = f.u.config.rate_mhz;
        cfg.samples_per_frame = f.u.config.samples_per_frame;
        cfg.flags = f.u.config.flags;
        cfg.n_channels = f.u.config.n_channels;
        plain &= copy_str(strs[0], &f.u.config.device_name);
        plain &= copy_str(strs[1], &f.u.config.firmware);
        cfg.device_name = strs[0];
        cfg.firmware = strs[1];
        for (i = 0; i < cfg.n_channels; ++i) {
            plain &= copy_str(strs[2 + 2 * i], &f.u.config.channels[i].label);
            plain &= copy_str(strs[3 + 2 * i], &f.u.config.channels[i].unit);
            chans[i].label = strs[2 + 2 * i];
            chans[i].unit = strs[3 + 2 * i];
            chans[i].scale = f.u.config.channels[i].scale;
            chans[i].range = f.u.config.channels[i].range;
        }
        cfg.channels = chans;
        n = edgehar_encode_config(scratch, sizeof scratch, &cfg);
        if (!plain) return; /* U+0000 is valid UTF-8 but cannot pass through a C string */
    } else {
        REQUIRE(f.type == EDGEHAR_TYPE_CONTROL);
        n = edgehar_encode_control(scratch, sizeof scratch, f.u.control.opcode, f.u.control.arg);
    }
    REQUIRE(n >= 0 && (size_t)n == len && memcmp(scratch, payload, len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static uint8_t rx[EDGEHAR_SERIAL_MAX_PACKET];
    static uint8_t copy[8192];
    edgehar_stream s;
    size_t i, zeros = 0;
    uint32_t results = 0;
    uint8_t channels = size ? (uint8_t)(data[0] % 8) : 0; /* 0 = infer, else a configured count */

    /* 1. the byte-wise serial receiver over the whole input */
    edgehar_stream_init(&s, rx, sizeof rx);
    for (i = 0; i < size; ++i) {
        int r = edgehar_stream_push(&s, data[i]);
        zeros += data[i] == 0;
        if (r > 0) {
            REQUIRE((size_t)r <= EDGEHAR_MAX_PAYLOAD + 2u);
            ++results;
            check_frame(s.buf, (size_t)r, channels);
        } else if (r < 0) {
            ++results;
        }
    }
    REQUIRE(s.packets + s.corrupt == results && s.bad_crc <= s.corrupt && s.packets <= zeros);

    /* 2. the input as one frame payload */
    check_frame(data, size, channels);

    if (size > sizeof copy / 2) return 0;
    /* 3. COBS round trip: encode(anything) has no 0x00 and decodes back */
    {
        int n = edgehar_cobs_encode(data, size, scratch, sizeof scratch), m;
        REQUIRE(n > 0 && (size_t)n <= EDGEHAR_COBS_MAX(size) && memchr(scratch, 0, (size_t)n) == NULL);
        m = edgehar_cobs_decode(scratch, (size_t)n, copy, sizeof copy);
        REQUIRE(m >= 0 && (size_t)m == size && (size == 0 || memcmp(copy, data, size) == 0));
    }
    /* 4. the input as a received packet, decoded in place */
    memcpy(copy, data, size);
    (void)edgehar_serial_unwrap(copy, size);
    /* 5. serial wrap/unwrap round trip of the input as a payload */
    if (size >= 1 && size <= EDGEHAR_MAX_PAYLOAD) {
        int n = edgehar_serial_wrap(data, size, scratch, sizeof scratch), m;
        REQUIRE(n > 1 && scratch[n - 1] == 0 && memchr(scratch, 0, (size_t)n - 1) == NULL);
        m = edgehar_serial_unwrap(scratch, (size_t)n - 1);
        REQUIRE(m >= 0 && (size_t)m == size && memcmp(scratch, data, size) == 0);
    }
    return 0;
}

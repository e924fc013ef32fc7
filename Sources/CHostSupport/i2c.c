#include "host_support.h"

#include <errno.h>
#include <stddef.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <sys/ioctl.h>

int bms_i2c_transfer(int fd, uint16_t addr, const uint8_t *wdata, uint16_t wlen, uint8_t *rdata, uint16_t rlen) {
    struct i2c_msg msgs[2];
    int n = 0;
    if (wlen > 0) {
        msgs[n].addr = addr;
        msgs[n].flags = 0;
        msgs[n].len = wlen;
        msgs[n].buf = (uint8_t *)wdata;
        n++;
    }
    if (rlen > 0) {
        msgs[n].addr = addr;
        msgs[n].flags = I2C_M_RD;
        msgs[n].len = rlen;
        msgs[n].buf = rdata;
        n++;
    }
    if (n == 0) {
        // SMBus "quick" probe: a zero-length write.
        msgs[0].addr = addr;
        msgs[0].flags = 0;
        msgs[0].len = 0;
        msgs[0].buf = NULL;
        n = 1;
    }
    struct i2c_rdwr_ioctl_data data = {.msgs = msgs, .nmsgs = (uint32_t)n};
    return ioctl(fd, I2C_RDWR, &data) < 0 ? -errno : 0;
}

int bms_i2c_set_timeout(int fd, unsigned int ms) {
    unsigned long tens = (ms + 9) / 10;
    return ioctl(fd, I2C_TIMEOUT, tens) < 0 ? -errno : 0;
}

#include "host_support.h"

#include <asm/termbits.h>
#include <errno.h>
#include <linux/serial.h>
#include <string.h>
#include <sys/ioctl.h>

int bmsgate_serial_configure(int fd, unsigned baud, char parity, int data_bits, int stop_bits) {
    struct termios2 t;
    if (ioctl(fd, TCGETS2, &t) != 0) return -errno;
    t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXOFF | IXANY | INPCK);
    t.c_oflag &= ~OPOST;
    t.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t.c_cflag &= ~(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS | CBAUD);
    switch (data_bits) {
    case 5: t.c_cflag |= CS5; break;
    case 6: t.c_cflag |= CS6; break;
    case 7: t.c_cflag |= CS7; break;
    default: t.c_cflag |= CS8; break;
    }
    if (parity == 'E') { t.c_cflag |= PARENB; t.c_iflag |= INPCK; }
    if (parity == 'O') { t.c_cflag |= PARENB | PARODD; t.c_iflag |= INPCK; }
    if (stop_bits == 2) t.c_cflag |= CSTOPB;
    t.c_cflag |= CLOCAL | CREAD | BOTHER;
    t.c_ispeed = baud;
    t.c_ospeed = baud;
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    if (ioctl(fd, TCSETS2, &t) != 0) return -errno;
    return 0;
}

int bmsgate_serial_rs485(int fd, int enable, unsigned delay_before_ms, unsigned delay_after_ms) {
    struct serial_rs485 conf;
    memset(&conf, 0, sizeof conf);
    if (enable) {
        conf.flags = SER_RS485_ENABLED | SER_RS485_RTS_ON_SEND;
        conf.delay_rts_before_send = delay_before_ms;
        conf.delay_rts_after_send = delay_after_ms;
    }
    if (ioctl(fd, TIOCSRS485, &conf) != 0) return -errno;
    return 0;
}

int bmsgate_serial_drain(int fd) {
    if (ioctl(fd, TCSBRK, 1) != 0) return -errno;
    return 0;
}

int bmsgate_serial_flush_input(int fd) {
    if (ioctl(fd, TCFLSH, TCIFLUSH) != 0) return -errno;
    return 0;
}

int bmsgate_serial_flush_output(int fd) {
    if (ioctl(fd, TCFLSH, TCOFLUSH) != 0) return -errno;
    return 0;
}

int bmsgate_serial_output_pending(int fd) {
    int pending = 0;
    if (ioctl(fd, TIOCOUTQ, &pending) != 0) return -errno;
    return pending;
}

int bmsgate_serial_dtr(int fd, int on) {
    int bits = TIOCM_DTR;
    if (ioctl(fd, on ? TIOCMBIS : TIOCMBIC, &bits) != 0) return -errno;
    return 0;
}

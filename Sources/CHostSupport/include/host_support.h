/*
 * Small C helpers for the bmsgate host: the Linux ioctls Swift cannot reach
 * directly (termios2 for any baud rate, RS485 mode). Each returns 0 or -errno.
 */
#ifndef BMSGATE_HOST_SUPPORT_H
#define BMSGATE_HOST_SUPPORT_H

#include <stdint.h>

/**
 * Puts a tty in raw mode with `baud` (any rate the UART supports), parity
 * ('N', 'E' or 'O'), `data_bits` (5..8) and `stop_bits` (1 or 2), no flow control,
 * receiver on, modem lines ignored. Returns 0 or -errno.
 */
int bmsgate_serial_configure(int fd, unsigned baud, char parity, int data_bits, int stop_bits);

/**
 * Enables or disables kernel RS485 mode (TIOCSRS485) with RTS high while sending and
 * the given delays around a transmission, in ms. Returns 0 or -errno (-ENOTTY when the
 * UART driver has no RS485 support).
 */
int bmsgate_serial_rs485(int fd, int enable, unsigned delay_before_ms, unsigned delay_after_ms);

/** Waits until all output written to `fd` has been transmitted. Returns 0 or -errno. */
int bmsgate_serial_drain(int fd);

/** Discards received, unread input of a tty. Returns 0 or -errno. */
int bmsgate_serial_flush_input(int fd);
/**
 * Discards output written but not yet sent (TCOFLUSH); on a pseudo-terminal, what the
 * other end has not read yet. Returns 0 or -errno.
 */
int bmsgate_serial_flush_output(int fd);
/** Bytes written but not yet sent (TIOCOUTQ; a pseudo-terminal says 0). Returns it or -errno. */
int bmsgate_serial_output_pending(int fd);
/** Raises (on != 0) or drops the DTR line; 0 or -errno (a pseudo-terminal has no modem lines). */
int bmsgate_serial_dtr(int fd, int on);

/**
 * Opens a new pseudo-terminal master (O_RDWR | O_NOCTTY | O_CLOEXEC), grants and
 * unlocks it and writes the slave's path into `path` (`cap` bytes). Returns the master
 * descriptor or -errno.
 */
int bmsgate_pty_open(char *path, unsigned long cap);

/**
 * Opens a raw SocketCAN socket (PF_CAN, CAN_RAW, non-blocking) bound to interface `ifname`
 * ("can0"). Returns the descriptor or -errno (-EAFNOSUPPORT without CAN in the kernel,
 * -ENODEV for an unknown interface).
 */
int bmsgate_can_open(const char *ifname);

/** Sends one classic frame (`len` <= 8); -ENOBUFS when the queue stays full for 100 ms. */
int bmsgate_can_send(int fd, uint32_t id, int extended, const uint8_t *data, uint8_t len);

/**
 * Waits up to `timeout_ms` for one data frame. Returns 1 with the frame filled in, 0 when
 * none arrived (error and remote frames are skipped), or -errno.
 */
int bmsgate_can_receive(int fd, uint32_t *id, int *extended, uint8_t *data, uint8_t *len, int timeout_ms);

/* Names the calling thread for the kernel (ps, top -H, perf): at most 15 bytes are kept.
   Returns 0 or -errno. */
int bmsgate_thread_name(const char *name);

#endif

/**
 * One I2C transaction on an open /dev/i2c-N: write `wlen` bytes to 7-bit `addr`, then
 * (repeated start) read `rlen` bytes; either may be 0. ioctl(I2C_RDWR). Returns 0 or -errno.
 */
int bms_i2c_transfer(int fd, uint16_t addr, const uint8_t *wdata, uint16_t wlen, uint8_t *rdata, uint16_t rlen);

/** Sets the adapter's transfer timeout (ioctl I2C_TIMEOUT, in ms, rounded up to 10 ms). Returns 0 or -errno. */
int bms_i2c_set_timeout(int fd, unsigned int ms);

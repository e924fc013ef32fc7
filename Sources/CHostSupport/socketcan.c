/* SocketCAN raw sockets (AF_CAN, CAN_RAW) for the can sink. */
#include "host_support.h"

#include <errno.h>
#include <linux/can.h>
#include <linux/can/raw.h>
#include <net/if.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int bmsgate_can_open(const char *ifname) {
    if (strlen(ifname) >= IFNAMSIZ) return -ENAMETOOLONG;
    int fd = socket(PF_CAN, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, CAN_RAW);
    if (fd < 0) return -errno;
    unsigned int index = if_nametoindex(ifname);
    if (index == 0) {
        int err = errno ? errno : ENODEV;
        close(fd);
        return -err;
    }
    struct sockaddr_can addr;
    memset(&addr, 0, sizeof addr);
    addr.can_family = AF_CAN;
    addr.can_ifindex = (int)index;
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        int err = errno;
        close(fd);
        return -err;
    }
    return fd;
}

int bmsgate_can_send(int fd, uint32_t id, int extended, const uint8_t *data, uint8_t len) {
    if (len > 8) return -EINVAL;
    struct can_frame frame;
    memset(&frame, 0, sizeof frame);
    frame.can_id = extended ? ((id & CAN_EFF_MASK) | CAN_EFF_FLAG) : (id & CAN_SFF_MASK);
    frame.can_dlc = len;
    memcpy(frame.data, data, len);
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    if (poll(&p, 1, 100) <= 0) return -ENOBUFS;  /* nobody acknowledges: do not block the sender */
    ssize_t n = write(fd, &frame, sizeof frame);
    if (n < 0) return -errno;
    return n == (ssize_t)sizeof frame ? 0 : -EIO;
}

int bmsgate_can_receive(int fd, uint32_t *id, int *extended, uint8_t *data, uint8_t *len, int timeout_ms) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int ready = poll(&p, 1, timeout_ms);
    if (ready < 0) return errno == EINTR ? 0 : -errno;
    if (ready == 0) return 0;
    struct can_frame frame;
    ssize_t n = read(fd, &frame, sizeof frame);
    if (n < 0) return (errno == EAGAIN || errno == EINTR) ? 0 : -errno;
    if (n != (ssize_t)sizeof frame) return 0;
    if (frame.can_id & (CAN_ERR_FLAG | CAN_RTR_FLAG)) return 0;
    *extended = (frame.can_id & CAN_EFF_FLAG) != 0;
    *id = frame.can_id & (*extended ? CAN_EFF_MASK : CAN_SFF_MASK);
    *len = frame.can_dlc > 8 ? 8 : frame.can_dlc;
    memcpy(data, frame.data, *len);
    return 1;
}

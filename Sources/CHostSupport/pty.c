#define _GNU_SOURCE
#include "host_support.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

int bmsgate_pty_open(char *path, unsigned long cap) {
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0) return -errno;
    if (grantpt(m) != 0 || unlockpt(m) != 0 || ptsname_r(m, path, cap) != 0) {
        int e = errno;
        close(m);
        return -e;
    }
    return m;
}

#include "host_support.h"

#include <errno.h>
#include <sys/prctl.h>

int bmsgate_thread_name(const char *name) {
    if (prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0) != 0) return -errno;
    return 0;
}

#include "common/file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

pst_status pst_file_read(const char *path, size_t max, pst_buf *out, const char **why)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        *why = strerror(errno);
        if (fd >= 0)
            close(fd);
        return PST_ERROR;
    }
    *why = !S_ISREG(st.st_mode)                                 ? "not a regular file"
           : (uint64_t)st.st_size > max                         ? "larger than the limit"
           : pst_buf_reserve(out, (size_t)st.st_size) != PST_OK ? "out of memory"
                                                                : NULL;
    size_t start = out->len, want = (size_t)st.st_size;
    while (!*why && out->len - start < want) {
        ssize_t r = read(fd, out->p + out->len, want - (out->len - start));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            *why = r < 0 ? strerror(errno) : "the file shrank while it was read";
        else
            out->len += (size_t)r;
    }
    close(fd);
    if (*why) {
        pst_buf_truncate(out, start);
        return PST_ERROR;
    }
    return PST_OK;
}

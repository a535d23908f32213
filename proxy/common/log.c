#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/str.h"

static int min_level = PST_LOG_INFO;
static int as_json = 1;

static const char *level_names[] = {"debug", "info", "warn", "error"};

void pst_log_setup(pst_log_level min, int json)
{
    min_level = min;
    as_json = json;
}

int pst_log_level_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

int pst_log_enabled(pst_log_level level)
{
    return (int)level >= min_level;
}

static void emit(pst_log_level level, const char *msg, size_t msg_len, const char *fields)
{
    char stamp[40];
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    size_t k = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(stamp + k, sizeof(stamp) - k, ".%03dZ", (int)(tv.tv_usec / 1000));

    pst_buf b = {0};
    if (as_json) {
        pst_buf_appendf(&b, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":", stamp,
                        level_names[level]);
        pst_buf_append_json_str(&b, msg, msg_len);
        if (fields && *fields) {
            pst_buf_append_char(&b, ',');
            pst_buf_append_c(&b, fields);
        }
        pst_buf_append_c(&b, "}\n");
    } else {
        pst_buf_appendf(&b, "%s %-5s ", stamp, level_names[level]);
        pst_buf_append(&b, msg, msg_len);
        if (fields && *fields) {
            pst_buf_append_char(&b, ' ');
            pst_buf_append_c(&b, fields);
        }
        pst_buf_append_char(&b, '\n');
    }
    if (!b.failed) {
        ssize_t off = 0;
        while ((size_t)off < b.len) {
            ssize_t w = write(2, b.p + off, b.len - (size_t)off);
            if (w <= 0)
                break;
            off += w;
        }
    }
    pst_buf_free(&b);
}

void pst_log(pst_log_level level, const char *fmt, ...)
{
    if (!pst_log_enabled(level))
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(msg))
        n = sizeof(msg) - 1;
    emit(level, msg, (size_t)n, NULL);
}

void pst_log_fields(pst_log_level level, const char *msg, const char *fields)
{
    if (!pst_log_enabled(level))
        return;
    emit(level, msg, strlen(msg), fields);
}

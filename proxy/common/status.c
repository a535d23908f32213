#include "common/status.h"

const char PST_E_NOMEM[] = "out of memory";
const char PST_E_IO[] = "i/o error";
const char PST_E_INVALID[] = "invalid argument";
const char PST_E_LIMIT[] = "limit exceeded";
const char PST_E_NOTFOUND[] = "not found";

const char *pst_status_name(pst_status s)
{
    switch (s) {
    case PST_OK:
        return "ok";
    case PST_ERROR:
        return "error";
    case PST_AGAIN:
        return "again";
    case PST_DECLINED:
        return "declined";
    case PST_DENIED:
        return "denied";
    }
    return "unknown";
}

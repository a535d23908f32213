#include "common/units.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Splits "12.5ms" into a number and its unit; the number is digits with at
 * most one '.', no sign, no exponent. */
static pst_status split(pst_str t, double *num, pst_str *unit)
{
    char tmp[64];
    size_t i = 0;
    int dots = 0, digits = 0;
    while (i < t.n && ((t.p[i] >= '0' && t.p[i] <= '9') || t.p[i] == '.')) {
        if (t.p[i] == '.')
            dots++;
        else
            digits++;
        i++;
    }
    if (!digits || dots > 1 || i >= sizeof(tmp))
        return PST_ERROR;
    memcpy(tmp, t.p, i);
    tmp[i] = '\0';
    *num = strtod(tmp, NULL);
    unit->p = t.p + i;
    unit->n = t.n - i;
    return PST_OK;
}

pst_status pst_parse_duration_ms(pst_str t, int64_t *out)
{
    static const struct {
        const char *unit;
        double ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
    double num;
    pst_str unit;
    if (split(t, &num, &unit) != PST_OK)
        return PST_ERROR;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (pst_str_eq_c(unit, units[i].unit)) {
            double v = ceil(num * units[i].ms);
            if (!(v >= 0 && v < 9.2e15))
                return PST_ERROR;
            *out = (int64_t)v;
            return PST_OK;
        }
    }
    return PST_ERROR;
}

pst_status pst_parse_size(pst_str t, int64_t *out)
{
    static const struct {
        const char *unit;
        double bytes;
    } units[] = {{"", 1},     {"B", 1},        {"kB", 1e3},        {"MB", 1e6},
                 {"GB", 1e9}, {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0}};
    double num;
    pst_str unit;
    if (split(t, &num, &unit) != PST_OK)
        return PST_ERROR;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (pst_str_eq_c(unit, units[i].unit)) {
            double v = num * units[i].bytes;
            if (v != floor(v) || !(v >= 0 && v < 9.2e15))
                return PST_ERROR;
            *out = (int64_t)v;
            return PST_OK;
        }
    }
    return PST_ERROR;
}

#ifndef ROCKY_CPOSTGRES_SHIM_H
#define ROCKY_CPOSTGRES_SHIM_H
// Debian's libpq-dev puts the header in /usr/include/postgresql; other
// systems (and pkg-config's -I) put it on the include path directly.
#if __has_include(<libpq-fe.h>)
#include <libpq-fe.h>
#else
#include <postgresql/libpq-fe.h>
#endif
#endif

#ifndef ROCKY_CZLIB_SHIM_H
#define ROCKY_CZLIB_SHIM_H
#include <zlib.h>
#endif

#ifndef ROCKY_CSQLITE_SHIM_H
#define ROCKY_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif

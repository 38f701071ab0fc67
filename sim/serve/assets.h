/*
 * assets.h -- the web UI's files (sim/serve/web/), compiled into the binary by
 * cmake/fl_embed.cmake: `faultline serve` reads no file but its database.
 */
#ifndef FL_SIM_SERVE_ASSETS_H
#define FL_SIM_SERVE_ASSETS_H

#include <stddef.h>

typedef struct fl_asset {
    const char *name; /* the file's name in sim/serve/web/, e.g. "app.js" */
    const unsigned char *data;
    size_t len;
} fl_asset;

/* Every file, in name order, ended by an entry whose name is NULL. */
extern const fl_asset fl_assets[];

#endif /* FL_SIM_SERVE_ASSETS_H */

/* script_fixture.h -- scripted worlds for unit tests: the script driver's sync state
 * (fl_script_syncs) kept beside the world it serves, and released with it. */
#ifndef FL_TESTS_SCRIPT_FIXTURE_H
#define FL_TESTS_SCRIPT_FIXTURE_H

#include <check.h>

#include "core/world.h"
#include "sim/run/script.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"

#define FX_MAX_SCRIPTED 16

static struct fx_scripted {
    fl_world *w;
    fl_script_syncs syncs;
} fx_scripted[FX_MAX_SCRIPTED];

/* Make w a scripted world (fl_script_install). */
static void fx_script_install(fl_world *w)
{
    for (int i = 0; i < FX_MAX_SCRIPTED; i++)
        if (!fx_scripted[i].w) {
            fx_scripted[i].w = w;
            fl_script_install(w, &fx_scripted[i].syncs);
            return;
        }
    ck_abort_msg("more than %d scripted worlds at once", FX_MAX_SCRIPTED);
}

/* w's sync state (NULL: not scripted). */
static fl_script_syncs *fx_script_syncs(fl_world *w)
{
    for (int i = 0; i < FX_MAX_SCRIPTED; i++)
        if (fx_scripted[i].w == w)
            return &fx_scripted[i].syncs;
    return NULL;
}

/* Call before fl_world_free(w). */
static void fx_script_release(fl_world *w)
{
    for (int i = 0; i < FX_MAX_SCRIPTED; i++)
        if (fx_scripted[i].w == w) {
            fl_script_syncs_close(&fx_scripted[i].syncs);
            fx_scripted[i].w = NULL;
        }
}

static void fx_world_free(fl_world *w)
{
    fx_script_release(w);
    fl_world_free(w);
}

/* Run script on a world made scripted with fx_script_install. */
static int fx_script_run(fl_world *w, const cJSON *script)
{
    fl_script_syncs *s = fx_script_syncs(w);
    ck_assert_msg(s != NULL, "fx_script_run on a world that is not scripted");
    return fl_script_run(w, script, s, NULL);
}

/* A sink from one callback: add it to w's stream. */
static void fx_add_sink(fl_world *w, uint32_t wants, void *ctx,
                        int (*consume)(void *ctx, const fl_record *r))
{
    fl_sink k = {.name = "test", .wants = wants, .ctx = ctx, .consume = consume};
    ck_assert_int_eq(fl_stream_add(fl_world_stream(w), &k), 0);
}

#pragma GCC diagnostic pop

#endif /* FL_TESTS_SCRIPT_FIXTURE_H */

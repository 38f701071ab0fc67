/* chain_check.c -- replay's digest-chain comparison, as a sink (see chain_check.h). */
#include "sim/run/chain_check.h"

static int consume(void *ctx, const fl_record *r)
{
    fl_chain_check *c = ctx;
    const fl_rec_step *s = &r->u.step;
    if (c->first_bad >= 0 || s->step >= c->n)
        return 0;
    if ((uint64_t)c->chains[s->step] != s->chain) {
        c->first_bad = (int64_t)s->step;
        c->want = (uint64_t)c->chains[s->step];
        c->got = s->chain;
    }
    return 0;
}

void fl_chain_check_sink(fl_chain_check *c, const int64_t *chains, size_t n, fl_sink *k)
{
    *c = (fl_chain_check){.chains = chains, .n = n, .first_bad = -1};
    *k = (fl_sink){
        .name = "chain check", .wants = FL_REC_BIT(FL_REC_STEP_END), .ctx = c, .consume = consume};
}

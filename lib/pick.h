/*
 * pick.h: new training cases picked from a pool, aimed at a run's failures.
 *
 * ev-gaps --from-pool first shows the picker every case of the run (the
 * aim): each case's prompt, so that no pool case that leaks into the run is
 * picked, a near duplicate of it as ev-split --check would find (near.h),
 * and each failing prompt under its tags, to aim at. It then spreads the
 * budget over the failing tags in proportion to their failures
 * (ev_gaps_allocate), and within each tag picks the pool cases most like
 * its failing prompts (word 3-gram similarity, minhash.h). A case is picked
 * once; budget that a tag's pool cannot fill goes to the nearest cases left
 * in any tag. Memory holds the run's prompts and the pool's candidates.
 */
#ifndef EV_PICK_H
#define EV_PICK_H

#include <stdbool.h>
#include <stddef.h>

#include <jv.h>

#include "gaps.h"

typedef struct ev_pick ev_pick;

/* ev_pick_new returns an empty aim, for which a pool case leaks when its
 * prompt is a near duplicate of a run case's at 'threshold'. */
ev_pick *ev_pick_new(double threshold);
void ev_pick_free(ev_pick *p);

/* ev_pick_aim shows the picker the run case 'rec' and, when it 'failed',
 * files its prompt under its 'tags' (an array of strings). */
void ev_pick_aim(ev_pick *p, jv rec /* borrowed */, bool failed, jv tags);

/* ev_pick_from reads the pool at 'path' and picks 'budget' cases, aimed at
 * the failing tags of 't' (borrowed), the tally of the run shown to
 * ev_pick_aim. Bad lines are warnings to 'log', and '*problems' counts
 * them. It returns what it did, an object:
 *   pool    the pool's cases read;
 *   leaks   those left out as leaks into the run;
 *   budget  'budget';
 *   tags    per tag aimed at, worst first: {tag, aimed, picked};
 *   picked  the picked cases in pool order, each [its number in the pool
 *           from 0, its line as read].
 * Interrupted (interrupt.h), it picks nothing and returns null. */
jv ev_pick_from(ev_pick *p, const ev_gaps_tally *t, const char *path, long budget,
                const ev_log *log, unsigned long *problems);

#endif

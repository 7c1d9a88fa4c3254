/*
 * The one clock the library measures with: monotonic seconds (never jumps with the wall clock),
 * for the timings in gemma4_generate_stats and the log lines.
 */
#ifndef G4_CORE_CLOCK_H
#define G4_CORE_CLOCK_H

/* Seconds since an arbitrary fixed point (CLOCK_MONOTONIC). */
double g4_now_seconds(void);

#endif

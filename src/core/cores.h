/* How many threads to run by default: one per physical core (SMT siblings share the core's
 * execution units, and a memory-bound decode gains nothing from them). */
#ifndef G4_CORE_CORES_H
#define G4_CORE_CORES_H

/* Physical cores of the CPUs this process may run on (>= 1). Linux: distinct (package, core) pairs
 * in sysfs among the allowed CPUs; elsewhere the online CPU count. */
int g4_physical_cores(void);

#endif

#include "core/cores.h"

#include <sched.h>
#include <stdio.h>
#include <unistd.h>

static int read_int(const char *path, int *out) {
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int ok = fscanf(f, "%d", out) == 1;
    fclose(f);
    return ok;
}

int g4_physical_cores(void) {
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    if (online < 1) online = 1;
#ifdef __linux__
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return (int)online;
    enum { MAX_CORES = 1024 };
    int seen_pkg[MAX_CORES], seen_core[MAX_CORES], n_seen = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE && n_seen < MAX_CORES; cpu++) {
        if (!CPU_ISSET(cpu, &allowed)) continue;
        char path[128];
        int pkg = 0, core = cpu;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/topology/physical_package_id", cpu);
        read_int(path, &pkg);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/topology/core_id", cpu);
        read_int(path, &core);
        int dup = 0;
        for (int i = 0; i < n_seen && !dup; i++) dup = seen_pkg[i] == pkg && seen_core[i] == core;
        if (!dup) {
            seen_pkg[n_seen] = pkg;
            seen_core[n_seen] = core;
            n_seen++;
        }
    }
    if (n_seen > 0) return n_seen;
#endif
    return (int)online;
}

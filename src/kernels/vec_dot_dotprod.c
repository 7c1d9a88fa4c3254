/*
 * The integer dot products with the Armv8.2 dotprod extension (SDOT: four int8 products summed
 * into each int32 lane in one instruction): Cortex-A76 (Raspberry Pi 5), A55, A78, Neoverse and
 * Apple cores. Compiled with +dotprod and used only when HWCAP_ASIMDDP says the CPU has it.
 */
#include <arm_neon.h>

#define G4_DOT16(acc, a, b) vdotq_s32((acc), (a), (b))
#define G4_ARM_SUFFIX dotprod
#include "kernels/int_dots_arm.h"

# Cross-compiling for 64-bit ARM Linux (Raspberry Pi 5 and other AArch64 boards) with Debian's
# cross toolchain; tests/arm/run-qemu.sh builds with this file and runs the results under qemu-user.
#
#   apt-get install gcc-aarch64-linux-gnu qemu-user        (compiler, sysroot libc, emulator)
#   dpkg --add-architecture arm64 && apt-get update
#   apt-get install libcjson-dev:arm64 libcmocka-dev:arm64  (the project's libraries, multiarch)
#   cmake -S . -B build-arm -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
#
# The arm64 libraries land in /usr/lib/aarch64-linux-gnu (Debian multiarch) and their headers in
# /usr/include, shared with the host; the C library is in the cross sysroot /usr/aarch64-linux-gnu.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(G4_CROSS_TRIPLE aarch64-linux-gnu)
find_program(G4_CROSS_CC ${G4_CROSS_TRIPLE}-gcc REQUIRED)
set(CMAKE_C_COMPILER ${G4_CROSS_CC})
set(CMAKE_LIBRARY_ARCHITECTURE ${G4_CROSS_TRIPLE})

# Look for libraries and headers in the sysroot and in the multiarch folders of the host root,
# never for the host's own (x86) libraries; programs (pkg-config, qemu) come from the host.
set(CMAKE_FIND_ROOT_PATH /usr/${G4_CROSS_TRIPLE} /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config must read the arm64 .pc files only.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/${G4_CROSS_TRIPLE}/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")

# ctest and add_test run the binaries through the emulator (the Cortex-A76 of a Raspberry Pi 5 by
# default; tests/arm/run-qemu.sh also runs them as a Cortex-A53, without dotprod).
# The dynamic loader and libc.so must come from the same glibc build. With the multiarch
# libc6:arm64 installed (pulled in by the :arm64 library packages) both are in the host root and
# qemu needs no prefix; pointing -L at the cross sysroot would pair its ld.so with the multiarch
# libc and hang in the first pthread_create.
set(G4_QEMU_CPU cortex-a76 CACHE STRING "CPU model qemu-aarch64 emulates for ctest")
find_program(G4_QEMU qemu-aarch64)
if(G4_QEMU)
  if(EXISTS /lib/ld-linux-aarch64.so.1)
    set(CMAKE_CROSSCOMPILING_EMULATOR ${G4_QEMU} -cpu ${G4_QEMU_CPU})
  else()
    set(CMAKE_CROSSCOMPILING_EMULATOR ${G4_QEMU} -cpu ${G4_QEMU_CPU} -L /usr/${G4_CROSS_TRIPLE})
  endif()
endif()

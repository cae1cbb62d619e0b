// spotd: the spot-market matching daemon.
#include "spot/app/daemon.h"
#include "spot/journal/file_system.h"

int main(int argc, char** argv) {
  spot::PosixFileSystem fs;
  return spot::spotd_main(argc, argv, fs);
}

#include <stdio.h>

int main(void) {
  fprintf(stderr, "berth-runtime: not implemented yet\n");
  return 1;
}

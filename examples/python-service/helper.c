/*
 * checksum: print the CRC-32 (the one zlib, gzip and PNG use) of standard input
 * as 8 lowercase hex digits. Called by app.py for /checksum.
 *
 *   printf 'hello' | ./checksum    ->  3610a686
 */
#include <stdint.h>
#include <stdio.h>

static uint32_t table[256];

static void make_table(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[n] = c;
    }
}

int main(void) {
    unsigned char buf[65536];
    uint32_t crc = 0xFFFFFFFFu;
    size_t len;

    make_table();
    while ((len = fread(buf, 1, sizeof buf, stdin)) > 0)
        for (size_t i = 0; i < len; i++)
            crc = table[(crc ^ buf[i]) & 0xFF] ^ (crc >> 8);
    if (ferror(stdin)) {
        perror("checksum: read");
        return 1;
    }
    printf("%08x\n", crc ^ 0xFFFFFFFFu);
    return 0;
}

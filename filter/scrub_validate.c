/* scrub_validate: offline validators (checksums, structure, entropy) for findings. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "scrub_validate.h"
#include "scrub.h"

#include <stdio.h>
#include <math.h>
#include <string.h>

/*
 * Every check below reads the candidate by length, keeps its scratch on the
 * stack (a few hundred bytes at most), allocates nothing and never prints the
 * bytes it inspects. Tables are `static const`; there is no mutable global.
 * Logarithms come from libm (log2).
 */

/* ======================================================================== */
/* Small byte helpers                                                       */
/* ======================================================================== */

static int is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

static int is_upper(uint8_t c)
{
    return c >= 'A' && c <= 'Z';
}

static int is_lower(uint8_t c)
{
    return c >= 'a' && c <= 'z';
}

static int is_alpha(uint8_t c)
{
    return is_upper(c) || is_lower(c);
}

/* [0-9A-Za-z] as a bit map: one shift and mask (this runs on every byte of every value). */
static int is_alnum(uint8_t c)
{
    uint64_t map = c < 64 ? 0x03FF000000000000ULL : 0x07FFFFFE07FFFFFEULL;

    return c < 128 && ((map >> (c & 63)) & 1);
}

static uint8_t to_lower(uint8_t c)
{
    return is_upper(c) ? (uint8_t) (c - 'A' + 'a') : c;
}

/* Byte classes for the per-byte loops of the base64 and entropy checks: one
 * table load per byte instead of a chain of range tests (these loops run on
 * every candidate secret). Exactly one of the first seven bits is set. */
enum {
    BC_DIGIT = 1,     /* 0-9 */
    BC_LHEX = 2,      /* a-f */
    BC_UHEX = 4,      /* A-F */
    BC_ALPHA = 8,     /* the other letters, g-z G-Z */
    BC_STD = 16,      /* + / (standard base64) */
    BC_URL = 32,      /* - _ (base64url) */
    BC_OTHER = 64,    /* anything else */
    BC_NONPRINT = 128 /* with BC_OTHER: outside 0x20..0x7e */
};

static const uint8_t byte_class[256] = {
    0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0,
    0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0,
    0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x10, 0x40, 0x20, 0x40, 0x10,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40,
    0x40, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08,
    0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x40, 0x40, 0x40, 0x40, 0x20,
    0x40, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08,
    0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x40, 0x40, 0x40, 0x40, 0xc0,
    0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0,
    0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0,
    0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0,
    0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0,
    0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0,
    0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0,
    0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0,
    0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0,
};

/* Base64 value of a byte in either alphabet (+ and - are 62, / and _ are 63), 0xff if none. */
static const uint8_t b64_val[256] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3e, 0xff, 0x3e, 0xff, 0x3f,
    0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e,
    0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0xff, 0xff, 0xff, 0xff, 0x3f,
    0xff, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,
    0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

/* The OR of the classes of s[0..n). */
static unsigned classes_of(const uint8_t *s, size_t n)
{
    unsigned acc = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        acc |= byte_class[s[i]];
    }
    return acc;
}

/* s[0..n) equals the NUL-terminated word w, ignoring ASCII case. */
static int ieq(const uint8_t *s, size_t n, const char *w)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (w[i] == '\0' || to_lower(s[i]) != to_lower((uint8_t) w[i])) {
            return 0;
        }
    }
    return w[n] == '\0';
}

/* s[0..n) starts with the NUL-terminated word w, ignoring ASCII case. */
static int istarts(const uint8_t *s, size_t n, const char *w)
{
    size_t i;

    for (i = 0; w[i] != '\0'; i++) {
        if (i >= n || to_lower(s[i]) != to_lower((uint8_t) w[i])) {
            return 0;
        }
    }
    return 1;
}

/* s[0..n) ends with the NUL-terminated word w, ignoring ASCII case. */
static int iends(const uint8_t *s, size_t n, const char *w)
{
    size_t wl = strlen(w);

    if (wl > n) {
        return 0;
    }
    return ieq(s + n - wl, wl, w);
}

/* s[0..n) contains w (exact case when icase is 0; w is then lower case).
 * Candidates are found by memchr on the first letter (both cases): values
 * are long and the letter is rare in them. */
static int contains(const uint8_t *s, size_t n, const char *w, int icase)
{
    size_t wl = strlen(w);
    uint8_t lo, up;
    const uint8_t *pl, *pu, *end;

    if (wl == 0 || wl > n) {
        return wl == 0;
    }
    lo = icase ? to_lower((uint8_t) w[0]) : (uint8_t) w[0];
    up = icase && is_alpha(lo) ? (uint8_t) (lo - 32) : lo;
    end = s + n - wl + 1; /* candidates start before end */
    pl = memchr(s, lo, (size_t) (end - s));
    pu = up != lo ? memchr(s, up, (size_t) (end - s)) : NULL;
    while (pl != NULL || pu != NULL) {
        const uint8_t *c = pu == NULL || (pl != NULL && pl < pu) ? pl : pu;
        if (icase ? istarts(c + 1, wl - 1, w + 1) : memcmp(c + 1, w + 1, wl - 1) == 0) {
            return 1;
        }
        if (c == pl) {
            pl = c + 1 < end ? memchr(c + 1, lo, (size_t) (end - c - 1)) : NULL;
        }
        else {
            pu = c + 1 < end ? memchr(c + 1, up, (size_t) (end - c - 1)) : NULL;
        }
    }
    return 0;
}

/* Every byte of s[0..n) is the same (n >= 1). */
static int all_same(const uint8_t *s, size_t n)
{
    size_t i;

    if (n == 0) {
        return 0;
    }
    for (i = 1; i < n; i++) {
        if (s[i] != s[0]) {
            return 0;
        }
    }
    return 1;
}

/* ======================================================================== */
/* Logarithm and Shannon entropy                                            */
/* ======================================================================== */

/* log2 from libm: the series this file used before cost a third of the time of
 * dirty lines (it runs once per distinct byte of every validated candidate). */
static double vlog2(double x)
{
    return x > 0.0 ? log2(x) : 0.0;
}

/* log2(k) for k = 0..256 (0 for 0), the values libm's log2 returns: the
 * lengths and alphabet sizes of the entropy check never need libm. */
static const double log2k[257] = {
    0.0, 0.0, 1.0, 1.584962500721156,
    2.0, 2.321928094887362, 2.584962500721156, 2.807354922057604,
    3.0, 3.169925001442312, 3.321928094887362, 3.4594316186372973,
    3.584962500721156, 3.700439718141092, 3.807354922057604, 3.9068905956085187,
    4.0, 4.087462841250339, 4.169925001442312, 4.247927513443585,
    4.321928094887363, 4.392317422778761, 4.459431618637297, 4.523561956057013,
    4.584962500721156, 4.643856189774724, 4.700439718141092, 4.754887502163468,
    4.807354922057604, 4.857980995127572, 4.906890595608519, 4.954196310386875,
    5.0, 5.044394119358453, 5.087462841250339, 5.129283016944966,
    5.169925001442312, 5.20945336562895, 5.247927513443585, 5.285402218862249,
    5.321928094887363, 5.357552004618084, 5.392317422778761, 5.426264754702098,
    5.459431618637297, 5.491853096329675, 5.523561956057013, 5.554588851677638,
    5.584962500721156, 5.614709844115208, 5.643856189774724, 5.672425341971495,
    5.700439718141092, 5.727920454563199, 5.754887502163468, 5.78135971352466,
    5.807354922057604, 5.832890014164741, 5.857980995127572, 5.882643049361842,
    5.906890595608519, 5.930737337562887, 5.954196310386875, 5.977279923499917,
    6.0, 6.022367813028454, 6.044394119358453, 6.066089190457772,
    6.087462841250339, 6.108524456778169, 6.129283016944966, 6.149747119504682,
    6.169925001442312, 6.189824558880018, 6.20945336562895, 6.22881869049588,
    6.247927513443585, 6.266786540694901, 6.285402218862249, 6.303780748177103,
    6.321928094887363, 6.339850002884624, 6.357552004618084, 6.3750394313469245,
    6.392317422778761, 6.409390936137702, 6.426264754702098, 6.442943495848728,
    6.459431618637297, 6.475733430966398, 6.491853096329675, 6.507794640198696,
    6.523561956057013, 6.539158811108031, 6.554588851677638, 6.569855608330948,
    6.584962500721156, 6.599912842187128, 6.614709844115208, 6.6293566200796095,
    6.643856189774724, 6.658211482751795, 6.672425341971495, 6.6865005271832185,
    6.700439718141092, 6.714245517666122, 6.727920454563199, 6.741466986401147,
    6.754887502163468, 6.768184324776926, 6.78135971352466, 6.794415866350106,
    6.807354922057604, 6.820178962415188, 6.832890014164741, 6.845490050944375,
    6.857980995127572, 6.870364719583405, 6.882643049361842, 6.894817763307944,
    6.906890595608519, 6.918863237274595, 6.930737337562887, 6.94251450533924,
    6.954196310386875, 6.965784284662087, 6.977279923499917, 6.9886846867721655,
    7.0, 7.011227255423254, 7.022367813028454, 7.03342300153745,
    7.044394119358453, 7.05528243550119, 7.066089190457772, 7.076815597050831,
    7.087462841250339, 7.098032082960526, 7.108524456778169, 7.118941072723508,
    7.129283016944966, 7.139551352398794, 7.149747119504682, 7.159871336778389,
    7.169925001442312, 7.1799090900149345, 7.189824558880018, 7.199672344836364,
    7.20945336562895, 7.219168520462161, 7.22881869049588, 7.2384047393250786,
    7.247927513443585, 7.257387842692652, 7.266786540694901, 7.2761244052742375,
    7.285402218862249, 7.294620748891627, 7.303780748177103, 7.312882955284356,
    7.321928094887363, 7.330916878114617, 7.339850002884624, 7.348728154231077,
    7.357552004618084, 7.366322214245816, 7.3750394313469245, 7.383704292474052,
    7.392317422778761, 7.400879436282184, 7.409390936137702, 7.417852514885898,
    7.426264754702098, 7.434628227636725, 7.442943495848728, 7.451211111832329,
    7.459431618637297, 7.467605550082998, 7.475733430966398, 7.483815777264256,
    7.491853096329675, 7.499845887083206, 7.507794640198696, 7.515699838284043,
    7.523561956057013, 7.531381460516312, 7.539158811108031, 7.546894459887636,
    7.554588851677638, 7.562242424221073, 7.569855608330948, 7.577428828035749,
    7.584962500721156, 7.592457037268081, 7.599912842187128, 7.60733031374961,
    7.614709844115208, 7.622051819456376, 7.6293566200796095, 7.636624620543649,
    7.643856189774724, 7.651051691178929, 7.658211482751795, 7.6653359171851765,
    7.672425341971495, 7.679480099505446, 7.6865005271832185, 7.693486957499325,
    7.700439718141092, 7.7073591320808825, 7.714245517666122, 7.721099188707185,
    7.727920454563199, 7.734709620225838, 7.741466986401147, 7.7481928495894605,
    7.754887502163468, 7.7615512324444795, 7.768184324776926, 7.774787059601174,
    7.78135971352466, 7.787902559391432, 7.794415866350106, 7.800899899920305,
    7.807354922057604, 7.813781191217037, 7.820178962415188, 7.826548487290915,
    7.832890014164741, 7.839203788096944, 7.845490050944375, 7.851749041416057,
    7.857980995127572, 7.864186144654281, 7.870364719583405, 7.876516946564999,
    7.882643049361842, 7.888743248898259, 7.894817763307944, 7.900866807980749,
    7.906890595608519, 7.912889336229962, 7.918863237274595, 7.924812503605781,
    7.930737337562887, 7.936637939002571, 7.94251450533924, 7.948367231584678,
    7.954196310386875, 7.960001932068081, 7.965784284662087, 7.971543553950772,
    7.977279923499917, 7.98299357469431, 7.9886846867721655, 7.994353436858858,
    8.0,
};

/* vlog2 of a count. */
static double vlog2_count(size_t k)
{
    return k <= 256 ? log2k[k] : vlog2((double) k);
}

/* c * log2(c) for c = 0..256: the counts of short secrets never need libm. */
static const double clogc[257] = {
    0.0, 0, 2, 4.7548875021634682,
    8, 11.60964047443681, 15.509775004326936, 19.651484454403228,
    24, 28.529325012980809, 33.219280948873624, 38.053747805010268,
    43.019550008653873, 48.105716335834195, 53.302968908806456, 58.603358934127783,
    64, 69.486868301255768, 75.058650025961612, 80.710622755428119,
    86.438561897747249, 92.23866587835397, 98.107495610020536, 104.0419249893113,
    110.03910001730775, 116.09640474436812, 122.21143267166839, 128.38196255841365,
    134.6059378176129, 140.88144885869957, 147.20671786825557, 153.58008562199313,
    160, 166.46500593882897, 172.97373660251154, 179.52490559307381,
    186.11730005192322, 192.74977452827116, 199.42124551085624, 206.13068653562769,
    212.8771237954945, 219.65963218934144, 226.47733175670794, 233.3293844521902,
    240.21499122004107, 247.13338933483536, 254.0838499786226, 261.06567602884894,
    268.07820003461552, 275.12078236164518, 282.1928094887362, 289.29369244054624,
    296.42286534333675, 303.57978409184955, 310.76392511682729, 317.97478424385628,
    325.21187563522579, 332.47473080739024, 339.76289771739914, 347.07593991234864,
    354.41343573651113, 361.7749775913361, 369.16017124398627, 376.56863518049477,
    384, 391.45390784684952, 398.93001187765793, 406.42797576067073,
    413.94747320502307, 421.48818751769369, 429.04981118614762, 436.63204548483242,
    444.23460010384645, 451.85719279824127, 459.49954905654232, 467.16140178719104,
    474.84249102171248, 482.54256363350737, 490.26137307125538, 497.99867910599113,
    505.754247590989, 513.52785023365459, 521.31926437868287, 529.12827280179476,
    536.95466351341588, 544.79822957170461, 552.65876890438039, 560.53608413883933,
    568.4299824400822, 576.34027535600944, 584.26677866967077, 592.20931225808135,
    600.16769995724519, 608.14176943304687, 616.13135205769788, 624.13628279144007,
    632.15640006923104, 640.19154569215141, 648.24156472329037, 656.30630538788137,
    664.3856189774724, 672.47935975793121, 680.58738488109248, 688.70955429987146,
    696.84573068667351, 704.9957793549429, 713.15956818369909, 721.3369675449228,
    729.52785023365459, 737.73209140068491, 745.94956848771255, 754.18016116486183,
    762.42375127045159, 770.68022275291628, 778.94946161478049, 787.23135585860314,
    795.52579543479828, 803.83267219125833, 812.15187982469729, 820.4833138336453,
    828.82687147302227, 837.18245171022591, 845.54995518267219, 853.92928415672645,
    862.32034248797254, 870.72303558276087, 879.13727036098953, 887.56295522006496,
    896, 904.44831594959976, 912.90781569369904, 921.37841320140592,
    929.86002375531586, 938.3525639216582, 946.85595152134147, 955.37010560186218,
    963.89494641004615, 972.43039536559206, 980.97637503538738, 989.53280910856756,
    998.09962237229524, 1006.6767406882299, 1015.2640909696648, 1023.8616011593097,
    1032.4692002076929, 1041.0868180521654, 1049.7143855964825, 1058.3518346909457,
    1066.9990981130845, 1075.6561095488621, 1084.3228035743821, 1092.9991156380868,
    1101.684982043425, 1110.3803399319759, 1119.0851272670147, 1127.7992828175068,
    1136.5227461425109, 1145.2554575759855, 1153.9973582119824, 1162.7483898902126,
    1171.5084951819781, 1180.2776173764532, 1189.0557004673092, 1197.8426891396655,
    1206.6385287573657, 1215.4431653505596, 1224.2565456035895, 1233.0786168431666,
    1241.9093270268318, 1250.7486247316892, 1259.5964591434092, 1268.4527800454887,
    1277.3175378087608, 1286.1906833811533, 1295.0721682776787, 1303.9619445706576,
    1312.8599648801644, 1321.7661823646906, 1330.6805507120189, 1339.6030241303019,
    1348.5335573393415, 1357.4721055620603, 1366.4186245161627, 1375.3730704059799,
    1384.3353999144904, 1393.3055701955177, 1402.2835388660937, 1411.269263998988,
    1420.2627041153958, 1429.2638181777827, 1438.2725655828801, 1447.2889061548281,
    1456.3128001384621, 1465.3442081927396, 1474.3830913843028, 1483.4294111811741,
    1492.4831294465807, 1501.5442084329061, 1510.6126107757627, 1519.6882994881862,
    1528.7712379549448, 1537.8613899269646, 1546.9587195158624, 1556.0631911885907,
    1565.174769762185, 1574.2934203986165, 1583.4191085997429, 1592.5518002023603,
    1601.691461373347, 1610.8380586049045, 1619.9915587098858, 1629.151928817216,
    1638.3191363673982, 1647.4931491081036, 1656.6739350898456, 1665.8614626617341,
    1675.0557004673092, 1684.2566174404521, 1693.4641828013698, 1702.6783660526571,
    1711.8991369754251, 1721.1264656255064, 1730.3603223297237, 1739.600677682228,
    1748.8475025409032, 1758.1007680238333, 1767.3604455058326, 1776.6265066150377,
    1785.898923229561, 1795.1776674742, 1804.4627117172063, 1813.7540285671091,
    1823.0515908695966, 1832.3553717044474, 1841.6653443825167, 1850.9814824427749,
    1860.3037596493946, 1869.6321499888875, 1878.9666276672906, 1888.307167107399,
    1897.6537429460445, 1907.0063300314209, 1916.3649034204518, 1925.7294383762048,
    1935.0999103653444, 1944.4762950556299, 1953.8585683134529, 1963.2467062014155,
    1972.6406849759451, 1982.040481084952, 1991.4460711655217, 2000.8574320416437,
    2010.2745407219791, 2019.6973743976605, 2029.1259104401299, 2038.5601263990088,
    2048,
};

/* Per-thread byte counts, all zero between calls (each call clears the
 * entries it used): no 1 KiB clear per call, which short values felt. */
static _Thread_local uint32_t entropy_counts[256];

double scrub_shannon_entropy(const uint8_t *s, size_t n)
{
    uint32_t *counts = entropy_counts;
    uint8_t order[257]; /* a slot past the 256 distinct bytes: the last write below lands there */
    size_t i, k = 0;
    double acc = 0.0;
    double h;

    if (s == NULL || n == 0) {
        return 0.0;
    }
    /* counts, and the distinct bytes in the order they first occur (no branch) */
    for (i = 0; i < n; i++) {
        uint32_t c = counts[s[i]];
        counts[s[i]] = c + 1;
        order[k] = s[i];
        k += c == 0;
    }
    /* H = log2(n) - (1/n) * sum(c * log2(c)), summed over the distinct bytes in
     * the order of their first occurrence: a short chain of additions (one per
     * distinct byte, not per byte), and always the same sum for the same text */
    for (i = 0; i < k; i++) {
        uint32_t c = counts[order[i]];
        if (c > 1) {
            acc += c <= 256 ? clogc[c] : (double) c * vlog2((double) c);
        }
        counts[order[i]] = 0;
    }
    h = vlog2_count(n) - acc / (double) n;
    return h < 0.0 ? 0.0 : h;
}

/* ======================================================================== */
/* Base64                                                                   */
/* ======================================================================== */

#define B64_ANY 0   /* either alphabet (not mixed) */
#define B64_STD 1   /* + and / only */
#define B64_URL 2   /* - and _ only */

/*
 * Check that in[0..n) is base64 in the given mode: optional correct padding,
 * no whitespace, one alphabet. On success returns 0 and sets *m to the number
 * of data characters (padding excluded).
 */
static int b64_shape(const uint8_t *in, size_t n, int mode, size_t *m)
{
    size_t len = n;
    size_t pad = 0;
    unsigned acc;
    int seen_std;
    int seen_url;

    while (len > 0 && in[len - 1] == '=') {
        len--;
        pad++;
    }
    if (pad > 2 || len % 4 == 1) {
        return -1;
    }
    if (pad > 0 && (n % 4 != 0 || (len % 4) + pad != 4)) {
        return -1;
    }
    acc = classes_of(in, len);
    if (acc & BC_OTHER) {
        return -1;
    }
    seen_std = (acc & BC_STD) != 0;
    seen_url = (acc & BC_URL) != 0;
    if ((seen_std && seen_url) || (mode == B64_STD && seen_url) ||
        (mode == B64_URL && seen_std)) {
        return -1;
    }
    *m = len;
    return 0;
}

/* Number of bytes that m data characters decode to. */
static size_t b64_decoded_len(size_t m)
{
    return m / 4 * 3 + (m % 4 == 0 ? 0 : m % 4 - 1);
}

/* Decode the group of up to 4 characters at in[i] (in has m data chars,
 * already shape-checked, so one alphabet) into out; returns the number of
 * bytes (1..3). */
static int b64_group(const uint8_t *in, size_t m, size_t i, uint8_t out[3])
{
    size_t k = m - i < 4 ? m - i : 4;
    size_t j;
    uint32_t acc = 0;

    for (j = 0; j < 4; j++) {
        acc <<= 6;
        if (j < k) {
            acc |= b64_val[in[i + j]];
        }
    }
    out[0] = (uint8_t) (acc >> 16);
    out[1] = (uint8_t) (acc >> 8);
    out[2] = (uint8_t) acc;
    return (int) k - 1;
}

long scrub_base64_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    size_t m;
    size_t i;
    size_t o = 0;

    if (in == NULL && n > 0) {
        return -1;
    }
    if (n == 0) {
        return 0;
    }
    if (b64_shape(in, n, B64_ANY, &m) != 0) {
        return -1;
    }
    if (b64_decoded_len(m) > cap || b64_decoded_len(m) > (size_t) 0x7fffffff) {
        return -1;
    }
    for (i = 0; i < m; i += 4) {
        uint8_t g[3];
        int k = b64_group(in, m, i, g);
        memcpy(out + o, g, (size_t) k);
        o += (size_t) k;
    }
    return (long) o;
}

/* ======================================================================== */
/* CRC-32 tokens: GitHub classic and npm                                    */
/* ======================================================================== */

/* CRC-32/IEEE 802.3 (reflected polynomial 0xEDB88320), the zlib crc32(). */
static const uint32_t crc32_table[256] = {
    0x00000000u, 0x77073096u, 0xee0e612cu, 0x990951bau, 0x076dc419u, 0x706af48fu,
    0xe963a535u, 0x9e6495a3u, 0x0edb8832u, 0x79dcb8a4u, 0xe0d5e91eu, 0x97d2d988u,
    0x09b64c2bu, 0x7eb17cbdu, 0xe7b82d07u, 0x90bf1d91u, 0x1db71064u, 0x6ab020f2u,
    0xf3b97148u, 0x84be41deu, 0x1adad47du, 0x6ddde4ebu, 0xf4d4b551u, 0x83d385c7u,
    0x136c9856u, 0x646ba8c0u, 0xfd62f97au, 0x8a65c9ecu, 0x14015c4fu, 0x63066cd9u,
    0xfa0f3d63u, 0x8d080df5u, 0x3b6e20c8u, 0x4c69105eu, 0xd56041e4u, 0xa2677172u,
    0x3c03e4d1u, 0x4b04d447u, 0xd20d85fdu, 0xa50ab56bu, 0x35b5a8fau, 0x42b2986cu,
    0xdbbbc9d6u, 0xacbcf940u, 0x32d86ce3u, 0x45df5c75u, 0xdcd60dcfu, 0xabd13d59u,
    0x26d930acu, 0x51de003au, 0xc8d75180u, 0xbfd06116u, 0x21b4f4b5u, 0x56b3c423u,
    0xcfba9599u, 0xb8bda50fu, 0x2802b89eu, 0x5f058808u, 0xc60cd9b2u, 0xb10be924u,
    0x2f6f7c87u, 0x58684c11u, 0xc1611dabu, 0xb6662d3du, 0x76dc4190u, 0x01db7106u,
    0x98d220bcu, 0xefd5102au, 0x71b18589u, 0x06b6b51fu, 0x9fbfe4a5u, 0xe8b8d433u,
    0x7807c9a2u, 0x0f00f934u, 0x9609a88eu, 0xe10e9818u, 0x7f6a0dbbu, 0x086d3d2du,
    0x91646c97u, 0xe6635c01u, 0x6b6b51f4u, 0x1c6c6162u, 0x856530d8u, 0xf262004eu,
    0x6c0695edu, 0x1b01a57bu, 0x8208f4c1u, 0xf50fc457u, 0x65b0d9c6u, 0x12b7e950u,
    0x8bbeb8eau, 0xfcb9887cu, 0x62dd1ddfu, 0x15da2d49u, 0x8cd37cf3u, 0xfbd44c65u,
    0x4db26158u, 0x3ab551ceu, 0xa3bc0074u, 0xd4bb30e2u, 0x4adfa541u, 0x3dd895d7u,
    0xa4d1c46du, 0xd3d6f4fbu, 0x4369e96au, 0x346ed9fcu, 0xad678846u, 0xda60b8d0u,
    0x44042d73u, 0x33031de5u, 0xaa0a4c5fu, 0xdd0d7cc9u, 0x5005713cu, 0x270241aau,
    0xbe0b1010u, 0xc90c2086u, 0x5768b525u, 0x206f85b3u, 0xb966d409u, 0xce61e49fu,
    0x5edef90eu, 0x29d9c998u, 0xb0d09822u, 0xc7d7a8b4u, 0x59b33d17u, 0x2eb40d81u,
    0xb7bd5c3bu, 0xc0ba6cadu, 0xedb88320u, 0x9abfb3b6u, 0x03b6e20cu, 0x74b1d29au,
    0xead54739u, 0x9dd277afu, 0x04db2615u, 0x73dc1683u, 0xe3630b12u, 0x94643b84u,
    0x0d6d6a3eu, 0x7a6a5aa8u, 0xe40ecf0bu, 0x9309ff9du, 0x0a00ae27u, 0x7d079eb1u,
    0xf00f9344u, 0x8708a3d2u, 0x1e01f268u, 0x6906c2feu, 0xf762575du, 0x806567cbu,
    0x196c3671u, 0x6e6b06e7u, 0xfed41b76u, 0x89d32be0u, 0x10da7a5au, 0x67dd4accu,
    0xf9b9df6fu, 0x8ebeeff9u, 0x17b7be43u, 0x60b08ed5u, 0xd6d6a3e8u, 0xa1d1937eu,
    0x38d8c2c4u, 0x4fdff252u, 0xd1bb67f1u, 0xa6bc5767u, 0x3fb506ddu, 0x48b2364bu,
    0xd80d2bdau, 0xaf0a1b4cu, 0x36034af6u, 0x41047a60u, 0xdf60efc3u, 0xa867df55u,
    0x316e8eefu, 0x4669be79u, 0xcb61b38cu, 0xbc66831au, 0x256fd2a0u, 0x5268e236u,
    0xcc0c7795u, 0xbb0b4703u, 0x220216b9u, 0x5505262fu, 0xc5ba3bbeu, 0xb2bd0b28u,
    0x2bb45a92u, 0x5cb36a04u, 0xc2d7ffa7u, 0xb5d0cf31u, 0x2cd99e8bu, 0x5bdeae1du,
    0x9b64c2b0u, 0xec63f226u, 0x756aa39cu, 0x026d930au, 0x9c0906a9u, 0xeb0e363fu,
    0x72076785u, 0x05005713u, 0x95bf4a82u, 0xe2b87a14u, 0x7bb12baeu, 0x0cb61b38u,
    0x92d28e9bu, 0xe5d5be0du, 0x7cdcefb7u, 0x0bdbdf21u, 0x86d3d2d4u, 0xf1d4e242u,
    0x68ddb3f8u, 0x1fda836eu, 0x81be16cdu, 0xf6b9265bu, 0x6fb077e1u, 0x18b74777u,
    0x88085ae6u, 0xff0f6a70u, 0x66063bcau, 0x11010b5cu, 0x8f659effu, 0xf862ae69u,
    0x616bffd3u, 0x166ccf45u, 0xa00ae278u, 0xd70dd2eeu, 0x4e048354u, 0x3903b3c2u,
    0xa7672661u, 0xd06016f7u, 0x4969474du, 0x3e6e77dbu, 0xaed16a4au, 0xd9d65adcu,
    0x40df0b66u, 0x37d83bf0u, 0xa9bcae53u, 0xdebb9ec5u, 0x47b2cf7fu, 0x30b5ffe9u,
    0xbdbdf21cu, 0xcabac28au, 0x53b39330u, 0x24b4a3a6u, 0xbad03605u, 0xcdd70693u,
    0x54de5729u, 0x23d967bfu, 0xb3667a2eu, 0xc4614ab8u, 0x5d681b02u, 0x2a6f2b94u,
    0xb40bbe37u, 0xc30c8ea1u, 0x5a05df1bu, 0x2d02ef8du,
};

static uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    size_t i;

    for (i = 0; i < n; i++) {
        c = crc32_table[(c ^ p[i]) & 0xffu] ^ (c >> 8);
    }
    return c ^ 0xffffffffu;
}

static const char base62_alphabet[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

#define TOKEN_PREFIX 4    /* "ghp_", "npm_" */
#define TOKEN_RANDOM 30   /* random base62 characters */
#define TOKEN_CRC 6       /* base62 CRC-32 tail */
#define TOKEN_LEN (TOKEN_PREFIX + TOKEN_RANDOM + TOKEN_CRC)

/*
 * prefix + 30 base62 + base62(crc32(random)), MSB first, '0'-padded to 6.
 * The whole 40-character token is required, prefix included (the rule's
 * span selects the token; a bare 36-character tail is rejected so that the
 * two families stay distinguishable).
 */
static int check_crc_token(const uint8_t *s, size_t n, const char *const *prefixes)
{
    uint32_t crc;
    size_t i;
    int ok = 0;

    if (n != TOKEN_LEN) {
        return 0;
    }
    for (i = 0; prefixes[i] != NULL; i++) {
        if (memcmp(s, prefixes[i], TOKEN_PREFIX) == 0) {
            ok = 1;
            break;
        }
    }
    if (!ok) {
        return 0;
    }
    for (i = TOKEN_PREFIX; i < TOKEN_PREFIX + TOKEN_RANDOM; i++) {
        if (!is_alnum(s[i])) {
            return 0;
        }
    }
    crc = crc32_ieee(s + TOKEN_PREFIX, TOKEN_RANDOM);
    for (i = TOKEN_LEN; i > TOKEN_PREFIX + TOKEN_RANDOM; i--) {
        if (s[i - 1] != (uint8_t) base62_alphabet[crc % 62]) {
            return 0;
        }
        crc /= 62;
    }
    return 1;
}

static const char *const github_prefixes[] = {"ghp_", "gho_", "ghu_", "ghs_", "ghr_", NULL};
static const char *const npm_prefixes[] = {"npm_", NULL};

/* ======================================================================== */
/* AWS access key id                                                        */
/* ======================================================================== */

/* AKIA/ASIA/ABIA/ACCA or A3T + [A-Z0-9], then 16 of the base32 alphabet
 * [A-Z2-7]; AWS documentation keys (ending in EXAMPLE) are rejected. */
static int check_aws_key_id(const uint8_t *s, size_t n)
{
    static const char *const prefixes[] = {"AKIA", "ASIA", "ABIA", "ACCA", NULL};
    size_t i;
    int ok = 0;

    if (n != 20) {
        return 0;
    }
    for (i = 0; prefixes[i] != NULL; i++) {
        if (memcmp(s, prefixes[i], 4) == 0) {
            ok = 1;
        }
    }
    if (!ok && memcmp(s, "A3T", 3) == 0 && (is_upper(s[3]) || is_digit(s[3]))) {
        ok = 1;
    }
    if (!ok) {
        return 0;
    }
    for (i = 4; i < 20; i++) {
        if (!is_upper(s[i]) && !(s[i] >= '2' && s[i] <= '7')) {
            return 0;
        }
    }
    return memcmp(s + 13, "EXAMPLE", 7) != 0;
}

/* ======================================================================== */
/* JWT                                                                      */
/* ======================================================================== */

/*
 * A minimal, streaming JSON check for one top-level object. The top level is
 * parsed strictly (keys are strings, then ':', a value, ',' or '}'); nested
 * values are only balanced ({ [ ] } outside strings) and scalars only use
 * the characters JSON scalars can contain. That is enough to tell a JOSE
 * header from base64 that happens to decode to '{'. No buffer: bytes are fed
 * one at a time as they are decoded.
 */
enum {
    JS_START,      /* before the opening brace */
    JS_FIRST_KEY,  /* after '{': a key or '}' */
    JS_KEY,        /* after ',': a key */
    JS_IN_KEY,     /* inside a key string */
    JS_COLON,      /* after a key: ':' */
    JS_VALUE,      /* after ':': a value */
    JS_IN_STRING,  /* inside a top-level string value */
    JS_IN_NESTED,  /* inside a nested object or array */
    JS_IN_SCALAR,  /* inside a number, true, false or null */
    JS_AFTER,      /* after a value: ',' or '}' */
    JS_DONE,       /* after the closing brace: only blanks */
    JS_BAD         /* not a JSON object */
};

typedef struct jscan {
    int state;        /* JS_* */
    int depth;        /* nesting inside JS_IN_NESTED */
    int in_str;       /* inside a string within a nested value */
    int esc;          /* previous byte was a backslash inside a string */
    size_t klen;      /* length of the current key so far */
    int kmatch;       /* the current key still matches "alg" */
    int is_alg;       /* the value being read belongs to "alg" */
    int alg_found;    /* a top-level "alg" with a string value was seen */
    uint8_t alg[8];   /* first bytes of the alg value */
    size_t alglen;    /* full length of the alg value */
} jscan_t;

static int js_blank(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void js_feed(jscan_t *j, uint8_t c)
{
    switch (j->state) {
    case JS_START:
        if (c == '{') {
            j->state = JS_FIRST_KEY;
        }
        else if (!js_blank(c)) {
            j->state = JS_BAD;
        }
        break;
    case JS_FIRST_KEY:
    case JS_KEY:
        if (c == '"') {
            j->state = JS_IN_KEY;
            j->klen = 0;
            j->kmatch = 1;
            j->esc = 0;
        }
        else if (c == '}' && j->state == JS_FIRST_KEY) {
            j->state = JS_DONE;
        }
        else if (!js_blank(c)) {
            j->state = JS_BAD;
        }
        break;
    case JS_IN_KEY:
    case JS_IN_STRING:
        if (c < 0x20) {
            j->state = JS_BAD;
        }
        else if (j->esc) {
            j->esc = 0;
            j->kmatch = 0;
        }
        else if (c == '\\') {
            j->esc = 1;
            j->kmatch = 0;
        }
        else if (c == '"') {
            if (j->state == JS_IN_KEY) {
                j->is_alg = j->kmatch && j->klen == 3;
                j->state = JS_COLON;
            }
            else {
                if (j->is_alg && j->alglen > 0) {
                    j->alg_found = 1;
                }
                j->state = JS_AFTER;
            }
        }
        else if (j->state == JS_IN_KEY) {
            if (j->klen >= 3 || c != (uint8_t) "alg"[j->klen]) {
                j->kmatch = 0;
            }
            j->klen++;
        }
        else if (j->is_alg) {
            if (j->alglen < sizeof(j->alg)) {
                j->alg[j->alglen] = c;
            }
            j->alglen++;
        }
        break;
    case JS_COLON:
        if (c == ':') {
            j->state = JS_VALUE;
        }
        else if (!js_blank(c)) {
            j->state = JS_BAD;
        }
        break;
    case JS_VALUE:
        if (c == '"') {
            j->state = JS_IN_STRING;
            j->esc = 0;
            j->alglen = 0;
        }
        else if (c == '{' || c == '[') {
            j->state = JS_IN_NESTED;
            j->depth = 1;
            j->in_str = 0;
            j->esc = 0;
        }
        else if (is_alnum(c) || c == '-') {
            j->state = JS_IN_SCALAR;
        }
        else if (!js_blank(c)) {
            j->state = JS_BAD;
        }
        break;
    case JS_IN_NESTED:
        if (j->in_str) {
            if (c < 0x20) {
                j->state = JS_BAD;
            }
            else if (j->esc) {
                j->esc = 0;
            }
            else if (c == '\\') {
                j->esc = 1;
            }
            else if (c == '"') {
                j->in_str = 0;
            }
        }
        else if (c == '"') {
            j->in_str = 1;
        }
        else if (c == '{' || c == '[') {
            j->depth++;
        }
        else if (c == '}' || c == ']') {
            if (--j->depth == 0) {
                j->state = JS_AFTER;
            }
        }
        break;
    case JS_IN_SCALAR:
        if (c == ',') {
            j->state = JS_KEY;
        }
        else if (c == '}') {
            j->state = JS_DONE;
        }
        else if (js_blank(c)) {
            j->state = JS_AFTER;
        }
        else if (!is_alnum(c) && c != '-' && c != '+' && c != '.') {
            j->state = JS_BAD;
        }
        break;
    case JS_AFTER:
        if (c == ',') {
            j->state = JS_KEY;
        }
        else if (c == '}') {
            j->state = JS_DONE;
        }
        else if (!js_blank(c)) {
            j->state = JS_BAD;
        }
        break;
    case JS_DONE:
        if (!js_blank(c)) {
            j->state = JS_BAD;
        }
        break;
    default:
        break;
    }
}

/* Decode a base64url segment (no padding; its shape already checked by
 * jwt_b64_segment) through the JSON scanner. Returns 1 when it is a complete
 * JSON object. */
static int jwt_json_segment(const uint8_t *s, size_t n, jscan_t *j)
{
    size_t i;

    if (n == 0) {
        return 0;
    }
    memset(j, 0, sizeof(*j));
    j->state = JS_START;
    for (i = 0; i < n && j->state != JS_BAD; i += 4) {
        uint8_t g[3];
        int k = b64_group(s, n, i, g);
        int t;
        for (t = 0; t < k; t++) {
            js_feed(j, g[t]);
        }
    }
    return j->state == JS_DONE;
}

/* A base64url segment without padding (may be empty). */
static int jwt_b64_segment(const uint8_t *s, size_t n)
{
    size_t m;

    return n == 0 || (b64_shape(s, n, B64_URL, &m) == 0 && m == n);
}

/*
 * Compact JWS (header.payload.signature) or JWE (five segments). The header
 * must be a JSON object with a non-empty top-level "alg" string; a JWS
 * payload must be a JSON object; an empty JWS signature is only allowed with
 * "alg":"none". The JWE encrypted key, IV and tag may be empty (alg "dir",
 * and so on) but the ciphertext may not.
 */
static int check_jwt(const uint8_t *s, size_t n)
{
    size_t dots[4];
    size_t ndots = 0;
    size_t i;
    size_t start[5];
    size_t len[5];
    size_t nseg;
    jscan_t j;

    for (i = 0; i < n; i++) {
        if (s[i] == '.') {
            if (ndots == 4) {
                return 0;
            }
            dots[ndots++] = i;
        }
    }
    if (ndots != 2 && ndots != 4) {
        return 0;
    }
    nseg = ndots + 1;
    for (i = 0; i < nseg; i++) {
        start[i] = i == 0 ? 0 : dots[i - 1] + 1;
        len[i] = (i == ndots ? n : dots[i]) - start[i];
        if (!jwt_b64_segment(s + start[i], len[i])) {
            return 0;
        }
    }
    if (!jwt_json_segment(s, len[0], &j) || !j.alg_found) {
        return 0;
    }
    if (nseg == 3) {
        int none = j.alglen == 4 && memcmp(j.alg, "none", 4) == 0;
        jscan_t p;
        if (!jwt_json_segment(s + start[1], len[1], &p)) {
            return 0;
        }
        return len[2] > 0 || none;
    }
    return len[3] > 0;
}

/* ======================================================================== */
/* PEM private keys                                                         */
/* ======================================================================== */

static const char *const pem_labels[] = {
    "PRIVATE KEY",     "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY",       "EC PRIVATE KEY",
    "DSA PRIVATE KEY", "OPENSSH PRIVATE KEY",   "PGP PRIVATE KEY BLOCK", NULL};

#define PEM_MIN_BODY 64     /* base64 characters, as gitleaks */
#define PEM_MIN_LINE 16     /* a token this long starts the body */
#define PEM_MAX_HEADER 12   /* tokens allowed before the body (Proc-Type: ...) */

/* Length of the separator at s[i]: blanks, CR/LF, and the two-character
 * escapes \n \r \t of a key joined into one log line; 0 if none. */
static size_t pem_sep(const uint8_t *s, size_t n, size_t i)
{
    uint8_t c = s[i];

    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        return 1;
    }
    if (c == '\\' && i + 1 < n && (s[i + 1] == 'n' || s[i + 1] == 'r' || s[i + 1] == 't')) {
        return 2;
    }
    return 0;
}

/* s[i..] starts with five dashes. */
static int pem_dashes(const uint8_t *s, size_t n, size_t i)
{
    return n - i >= 5 && memcmp(s + i, "-----", 5) == 0;
}

/*
 * "-----BEGIN <label>-----", a base64 body, "-----END <label>-----" with the
 * same private-key label (public keys and certificates are rejected). The
 * body may be broken by newlines, blanks or literal \n escapes, and a JSON
 * "\/" counts as '/'. Up to PEM_MAX_HEADER tokens before the first long
 * base64 token are skipped (legacy "Proc-Type:"/"DEK-Info:" and PGP armour
 * headers). At least PEM_MIN_BODY base64 characters are required.
 *
 * Truncation: a log line often carries only the beginning of a key, so a
 * value that stops inside the body, or inside the END line, is accepted when
 * the BEGIN line is complete and the body already has PEM_MIN_BODY base64
 * characters; a missing footer cannot make a key less secret.
 */
static int check_pem(const uint8_t *s, size_t n)
{
    const char *label = NULL;
    size_t i = 0;
    size_t lstart;
    size_t llen;
    size_t body = 0;
    size_t header_tokens = 0;
    int started = 0;
    int k;

    while (i < n && pem_sep(s, n, i) > 0) {
        i += pem_sep(s, n, i);
    }
    if (n - i < 11 || memcmp(s + i, "-----BEGIN ", 11) != 0) {
        return 0;
    }
    i += 11;
    lstart = i;
    while (i < n && (is_upper(s[i]) || s[i] == ' ')) {
        i++;
    }
    llen = i - lstart;
    if (!pem_dashes(s, n, i)) {
        return 0;
    }
    for (k = 0; pem_labels[k] != NULL; k++) {
        if (strlen(pem_labels[k]) == llen && memcmp(s + lstart, pem_labels[k], llen) == 0) {
            label = pem_labels[k];
        }
    }
    if (label == NULL) {
        return 0;
    }
    i += 5;

    while (i < n) {
        size_t sep = pem_sep(s, n, i);
        size_t count = 0;
        int pure = 1;

        if (sep > 0) {
            i += sep;
            continue;
        }
        if (pem_dashes(s, n, i) || (started && s[i] == '-')) {
            /* the footer, complete or cut off by the end of the value */
            size_t m = 0;
            size_t flen = 9 + llen + 5;
            while (i + m < n && m < flen) {
                uint8_t want;
                if (m < 9) {
                    want = (uint8_t) "-----END "[m];
                }
                else if (m < 9 + llen) {
                    want = (uint8_t) label[m - 9];
                }
                else {
                    want = '-';
                }
                if (s[i + m] != want) {
                    return 0;
                }
                m++;
            }
            return started && body >= PEM_MIN_BODY;
        }
        while (i < n && pem_sep(s, n, i) == 0 && !pem_dashes(s, n, i)) {
            uint8_t c = s[i];
            if (c == '\\' && i + 1 < n && s[i + 1] == '/') {
                count++;
                i += 2;
                continue;
            }
            if (is_alnum(c) || c == '+' || c == '/') {
                count++;
            }
            else if (c != '=') {
                pure = 0;
            }
            i++;
        }
        if (!started) {
            if (pure && count >= PEM_MIN_LINE) {
                started = 1;
                body = count;
            }
            else if (++header_tokens > PEM_MAX_HEADER) {
                return 0;
            }
        }
        else if (!pure) {
            return 0;
        }
        else {
            body += count;
        }
    }
    return started && body >= PEM_MIN_BODY;
}

/* ======================================================================== */
/* Placeholders                                                             */
/* ======================================================================== */

/* A $NAME / %NAME% style variable name: [A-Za-z_][A-Za-z0-9_]*. */
static int is_var_name(const uint8_t *s, size_t n)
{
    size_t i;

    if (n == 0 || is_digit(s[0])) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!is_alnum(s[i]) && s[i] != '_') {
            return 0;
        }
    }
    return 1;
}

/* Whole values (case-insensitive) that are never a real secret. */
static const char *const placeholder_words[] = {
    "true",     "false",    "null",   "none",     "nil",         "undefined", "redacted",
    "changeme", "changeit", "example", "dummy",   "test",        "secret",    "password",
    "todo",     "tbd",      "fixme",  "placeholder", "filtered", "masked",    "hidden",
    "removed",  "n/a",      NULL};
#define PLACEHOLDER_WORD_MAX 11 /* strlen("placeholder"), the longest word above */

/*
 * True for template and placeholder values: a fixed word list (whole value,
 * case-insensitive), <...>, ${...}, $(...), {{...}}, %VAR%, $VAR, a run of
 * one character, 4+ consecutive '*' (already masked), [REDACTED...] and the
 * like, your_... / ..._here, anything containing "redacted" or "EXAMPLE"
 * (upper case, the AWS documentation marker). One pair of surrounding quotes
 * is ignored. Every pattern here is structured text that random secrets do
 * not produce, so random-looking values are never rejected.
 */
static int is_placeholder(const uint8_t *s, size_t n)
{
    size_t i;

    if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0]) {
        s++;
        n -= 2;
    }
    if (n == 0 || all_same(s, n)) {
        return 1;
    }
    for (i = 0; n <= PLACEHOLDER_WORD_MAX && placeholder_words[i] != NULL; i++) {
        if (ieq(s, n, placeholder_words[i])) {
            return 1;
        }
    }
    if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
        /* <redacted>, <your api key>, <API_KEY>: words, not random bytes */
        for (i = 1; i + 1 < n; i++) {
            if (!is_alnum(s[i]) && s[i] != ' ' && s[i] != '_' && s[i] != '-' && s[i] != '.') {
                break;
            }
        }
        if (i + 1 == n) {
            return 1;
        }
    }
    if (n >= 3 && s[0] == '$' &&
        ((s[1] == '{' && s[n - 1] == '}') || (s[1] == '(' && s[n - 1] == ')'))) {
        return 1;
    }
    if (n >= 4 && s[0] == '{' && s[1] == '{' && s[n - 2] == '}' && s[n - 1] == '}') {
        return 1;
    }
    if (n >= 3 && s[0] == '%' && s[n - 1] == '%' && is_var_name(s + 1, n - 2)) {
        return 1;
    }
    if (n >= 2 && s[0] == '$' && is_var_name(s + 1, n - 1)) {
        return 1;
    }
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
        const uint8_t *in = s + 1;
        size_t m = n - 2;
        if (istarts(in, m, "redacted") || istarts(in, m, "filtered") || istarts(in, m, "masked") ||
            istarts(in, m, "hidden") || istarts(in, m, "removed") || istarts(in, m, "secret")) {
            return 1;
        }
    }
    if (istarts(s, n, "your_") || istarts(s, n, "your-") || istarts(s, n, "your ") ||
        iends(s, n, "_here") || iends(s, n, "-here")) {
        return 1;
    }
    return contains(s, n, "redacted", 1) || contains(s, n, "EXAMPLE", 0) ||
           contains(s, n, "****", 0);
}

/* ======================================================================== */
/* Entropy                                                                  */
/* ======================================================================== */

/*
 * Charset-aware entropy. The value's charset decides the alphabet size A:
 *   hex       [0-9a-f] or [0-9A-F]                         A = 16
 *   base62    [0-9A-Za-z]                                   A = 62
 *   base64    base62 + one of {+/} or {-_}, '=' padding     A = 64
 *   printable other printable ASCII                         A = 95
 *   binary    anything else                                 A = 256
 * The Shannon entropy H (bits per char, padding excluded) is normalised by
 * log2(min(n, A)), the most a value of that length and charset can reach,
 * and compared with the per-charset threshold below.
 *
 * Thresholds: 0.65 for hex, 0.70 for the others. Chosen by simulation over
 * 10^6 uniform random strings per shape (xorshift64, fixed seed): the lowest
 * normalised score seen was 0.694 for 32 hex, 0.719 for 20 base62, 0.745
 * for 40 base64 and 0.738 for 16 printable, and the whole validator (with
 * the shape checks below) rejected 0 of 10^6 random 32-hex, 11 of 10^6
 * random 20-base62 (0 at 32), 0 of 10^6 random 40-base64. Values built
 * from a few repeated symbols score far lower: "aaaabbbbccccdddd" 0.50,
 * "deadbeefdeadbeef" 0.54, "abababababab" 0.28. Short random values do
 * worse (1% of random 8-char base62 are rejected), which is the price of
 * any entropy test; rules for short secrets should not use it.
 *
 * Normalised entropy cannot tell "password123" from a random 11-character
 * string (both have almost all-distinct characters), so the default form
 * also rejects, before measuring: values shorter than 8, a run of one
 * character, sequential values (abcdef, 123456, abcdef123456), placeholders
 * (is_placeholder) and word-shaped values (word_like).
 */
#define ENTROPY_MIN_LEN 8
#define ENTROPY_T_HEX 0.65
#define ENTROPY_T_BASE62 0.70
#define ENTROPY_T_BASE64 0.70
#define ENTROPY_T_PRINT 0.70
#define ENTROPY_T_BINARY 0.70

enum { CS_HEX, CS_BASE62, CS_BASE64, CS_PRINT, CS_BINARY };

/* Detect the charset; *m is the length without base64 padding. */
static int entropy_charset(const uint8_t *s, size_t n, size_t *m)
{
    size_t len = n;
    unsigned acc;

    while (len > 0 && n - len < 2 && s[len - 1] == '=') {
        len--;
    }
    acc = classes_of(s, len); /* the padding after len is '=' and counts as nothing */
    *m = n;
    if ((acc & BC_OTHER) || ((acc & BC_STD) && (acc & BC_URL))) {
        return (acc & BC_NONPRINT) ? CS_BINARY : CS_PRINT;
    }
    if (acc & (BC_STD | BC_URL)) {
        *m = len;
        return CS_BASE64;
    }
    if (len != n) {
        /* '=' padding on an alphanumeric value: base64 as well */
        *m = len;
        return CS_BASE64;
    }
    if (!(acc & BC_ALPHA) && !((acc & BC_LHEX) && (acc & BC_UHEX))) {
        return CS_HEX;
    }
    return CS_BASE62;
}

/* Every step between neighbours is +1, or every step is -1, allowing one
 * break between two such runs (abcdef123456). Short values never qualify. */
static int sequential(const uint8_t *s, size_t n)
{
    size_t i;
    size_t breaks = 0;
    size_t steps = 0;

    if (n < 4) {
        return 0;
    }
    for (i = 1; i < n; i++) {
        int d = (int) s[i] - (int) s[i - 1];
        if (d == 1 || d == -1) {
            steps++;
        }
        else if (++breaks > 1) {
            return 0;
        }
    }
    return steps >= 3;
}

/* Every hump of a letter run (split before each capital) that has three or
 * more letters contains a vowel (y included), and no six consonants follow
 * each other: true of words, not of most random letter strings. */
static int humps_have_vowels(const uint8_t *s, size_t n)
{
    size_t i;
    size_t len = 0;
    size_t cluster = 0;
    int vowel = 0;

    for (i = 0; i <= n; i++) {
        if (i < n) {
            uint8_t c = to_lower(s[i]);
            int v = c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
            cluster = v ? 0 : cluster + 1;
            if (cluster >= 6) {
                return 0;
            }
        }
        if (i == n || (is_upper(s[i]) && i > 0)) {
            if (len >= 3 && !vowel) {
                return 0;
            }
            len = 0;
            vowel = 0;
        }
        if (i < n) {
            uint8_t c = to_lower(s[i]);
            len++;
            if (c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y') {
                vowel = 1;
            }
        }
    }
    return 1;
}

/*
 * Word-shaped: words of letters (lower, UPPER, Capitalised or camelCase)
 * joined by single - _ . or blank, then optional digits at the end, then at
 * most two trailing punctuation marks: "password123", "Summer2024!",
 * "correct horse battery", "db_password", "myApiKey". A random base62/64
 * string of 8 or more characters almost never has this shape, because its
 * digits are scattered and its upper-case letters come in runs of one.
 */
static int word_like(const uint8_t *s, size_t n)
{
    size_t i = 0;
    size_t letters = 0;

    for (;;) {
        size_t w = i;
        int all_upper = 1;
        while (i < n && is_alpha(s[i])) {
            if (is_lower(s[i])) {
                all_upper = 0;
            }
            i++;
        }
        if (i == w) {
            return 0;
        }
        if (!all_upper || i - w < 2) {
            /* camel words: each capital starts a hump of at least two
             * lower-case letters, and humps average four letters or more
             * (random mixed case has a capital every other letter) */
            size_t k;
            size_t caps = 0;
            for (k = w; k < i; k++) {
                if (is_upper(s[k])) {
                    caps++;
                    if (k + 2 >= i || !is_lower(s[k + 1]) || !is_lower(s[k + 2])) {
                        return 0;
                    }
                }
            }
            if (caps > 1 && caps * 4 > i - w) {
                return 0;
            }
        }
        if (!all_upper && !humps_have_vowels(s + w, i - w)) {
            return 0;
        }
        letters += i - w;
        if (i < n && (s[i] == '-' || s[i] == '_' || s[i] == '.' || s[i] == ' ') && i + 1 < n &&
            is_alpha(s[i + 1])) {
            i++;
            continue;
        }
        break;
    }
    while (i < n && is_digit(s[i])) {
        i++;
    }
    if (i < n && n - i <= 2) {
        for (; i < n; i++) {
            if (!(s[i] == '!' || s[i] == '?' || s[i] == '.' || s[i] == '#' || s[i] == '@' ||
                  s[i] == '$' || s[i] == '%' || s[i] == '&' || s[i] == '*')) {
                return 0;
            }
        }
    }
    return i == n && letters >= 3;
}

/* The checks shared by both forms of the entropy validator. */
static int entropy_hygiene(const uint8_t *s, size_t n)
{
    return n >= ENTROPY_MIN_LEN && !all_same(s, n) && !sequential(s, n);
}

static int check_entropy(const uint8_t *s, size_t n, int has_arg, double arg)
{
    static const double alphabet[] = {16.0, 62.0, 64.0, 95.0, 256.0};
    static const double threshold[] = {ENTROPY_T_HEX, ENTROPY_T_BASE62, ENTROPY_T_BASE64,
                                       ENTROPY_T_PRINT, ENTROPY_T_BINARY};
    size_t m;
    int cs;
    double a;
    double h;

    if (!entropy_hygiene(s, n)) {
        return 0;
    }
    if (has_arg) {
        return scrub_shannon_entropy(s, n) >= arg;
    }
    if (is_placeholder(s, n) || word_like(s, n)) {
        return 0;
    }
    cs = entropy_charset(s, n, &m);
    a = (double) m < alphabet[cs] ? (double) m : alphabet[cs];
    if (a < 2.0) {
        return 0;
    }
    h = scrub_shannon_entropy(s, m);
    return h / vlog2_count((size_t) a) >= threshold[cs];
}

/* ======================================================================== */
/* Luhn                                                                     */
/* ======================================================================== */

/* 13-19 digits, optionally grouped by one kind of separator (blank or '-')
 * used consistently and never doubled, leading or trailing; Luhn-valid;
 * not a single repeated digit (0000000000000 passes Luhn). */
static int check_luhn(const uint8_t *s, size_t n)
{
    uint8_t sep = 0;
    size_t ndig = 0;
    size_t group = 0;
    size_t i;
    unsigned sum = 0;
    int dbl = 0;
    uint8_t first = 0;
    int same = 1;

    for (i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (is_digit(c)) {
            if (ndig == 0) {
                first = c;
            }
            else if (c != first) {
                same = 0;
            }
            ndig++;
            group++;
        }
        else if (c == ' ' || c == '-') {
            if (group == 0 || (sep != 0 && sep != c)) {
                return 0;
            }
            sep = c;
            group = 0;
        }
        else {
            return 0;
        }
    }
    if (group == 0 || ndig < 13 || ndig > 19 || same) {
        return 0;
    }
    for (i = n; i > 0; i--) {
        unsigned d;
        if (!is_digit(s[i - 1])) {
            continue;
        }
        d = (unsigned) (s[i - 1] - '0');
        if (dbl) {
            d *= 2;
            if (d > 9) {
                d -= 9;
            }
        }
        sum += d;
        dbl = !dbl;
    }
    return sum % 10 == 0;
}

/* ======================================================================== */
/* IBAN                                                                     */
/* ======================================================================== */

/* IBAN lengths per country (SWIFT IBAN registry): the SEPA countries and
 * the other common ones whose length is stable. */
static const struct iban_country {
    char cc[3];      /* ISO 3166 alpha-2 */
    uint8_t len;     /* total IBAN length */
} iban_countries[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16},
    {"BG", 22}, {"BH", 22}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28},
    {"CZ", 24}, {"DE", 22}, {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24},
    {"FI", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18},
    {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IQ", 23},
    {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32},
    {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21}, {"LY", 25}, {"MC", 27}, {"MD", 24},
    {"ME", 22}, {"MK", 19}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NL", 18}, {"NO", 15},
    {"PK", 24}, {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22},
    {"RU", 33}, {"SA", 24}, {"SC", 31}, {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24},
    {"SM", 27}, {"ST", 25}, {"SV", 28}, {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29},
    {"VA", 22}, {"VG", 24}, {"XK", 20}};

#define IBAN_MAX 34

/* Blanks removed, upper-cased; country length, check digits 02-98, an
 * alphanumeric BBAN, and ISO 7064 mod-97 == 1 computed digit by digit. */
static int check_iban(const uint8_t *s, size_t n)
{
    uint8_t v[IBAN_MAX];
    size_t m = 0;
    size_t i;
    unsigned r = 0;
    int ok = 0;
    int cd;

    for (i = 0; i < n; i++) {
        if (s[i] == ' ') {
            continue;
        }
        if (m == IBAN_MAX || !is_alnum(s[i])) {
            return 0;
        }
        v[m++] = is_lower(s[i]) ? (uint8_t) (s[i] - 'a' + 'A') : s[i];
    }
    if (m < 15 || !is_upper(v[0]) || !is_upper(v[1]) || !is_digit(v[2]) || !is_digit(v[3])) {
        return 0;
    }
    for (i = 0; i < sizeof(iban_countries) / sizeof(iban_countries[0]); i++) {
        if (v[0] == (uint8_t) iban_countries[i].cc[0] &&
            v[1] == (uint8_t) iban_countries[i].cc[1]) {
            ok = iban_countries[i].len == m;
            break;
        }
    }
    cd = (v[2] - '0') * 10 + (v[3] - '0');
    if (!ok || cd < 2 || cd > 98) {
        return 0;
    }
    for (i = 0; i < m; i++) {
        uint8_t c = v[(i + 4) % m];
        if (is_digit(c)) {
            r = (r * 10 + (unsigned) (c - '0')) % 97;
        }
        else {
            r = (r * 100 + (unsigned) (c - 'A' + 10)) % 97;
        }
    }
    return r == 1;
}

/* ======================================================================== */
/* HTTP Basic credentials                                                   */
/* ======================================================================== */

/* Standard base64 (padding optional, an optional "Basic " scheme prefix) of
 * printable text (ASCII 0x20-0x7e, or well-formed UTF-8 sequences) that
 * contains a ':' followed by a non-empty password; the user part may be
 * empty. Random base64 almost never decodes to such text. */
static int check_basic_auth(const uint8_t *s, size_t n)
{
    size_t m;
    size_t i;
    int colon = 0;
    int cont = 0;
    size_t after = 0;

    if (istarts(s, n, "basic ")) {
        s += 6;
        n -= 6;
    }
    if (n == 0 || b64_shape(s, n, B64_STD, &m) != 0) {
        return 0;
    }
    for (i = 0; i < m; i += 4) {
        uint8_t g[3];
        int k = b64_group(s, m, i, g);
        int t;
        for (t = 0; t < k; t++) {
            uint8_t c = g[t];
            if (cont > 0) {
                if (c < 0x80 || c > 0xbf) {
                    return 0;
                }
                cont--;
            }
            else if (c >= 0xc2 && c <= 0xf4) {
                cont = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
            }
            else if (c < 0x20 || c >= 0x7f) {
                return 0;
            }
            if (colon) {
                after++;
            }
            else if (g[t] == ':') {
                colon = 1;
            }
        }
    }
    return colon && after > 0 && cont == 0;
}

/* ======================================================================== */
/* US social security numbers                                               */
/* ======================================================================== */

/* ddd-dd-dddd (or with blanks or dots, the same delimiter twice) or nine
 * digits. Rejected: area 000, 666 or 900-999, group 00, serial 0000, one
 * repeated digit, and the famous 078-05-1120 and 123-45-6789. */
static int check_ssn(const uint8_t *s, size_t n)
{
    uint8_t d[9];
    size_t i;
    size_t k = 0;
    int area;
    int group;
    int serial;

    if (n == 11) {
        if (s[3] != s[6] || (s[3] != '-' && s[3] != ' ' && s[3] != '.')) {
            return 0;
        }
    }
    else if (n != 9) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (n == 11 && (i == 3 || i == 6)) {
            continue;
        }
        if (!is_digit(s[i])) {
            return 0;
        }
        d[k++] = (uint8_t) (s[i] - '0');
    }
    area = d[0] * 100 + d[1] * 10 + d[2];
    group = d[3] * 10 + d[4];
    serial = d[5] * 1000 + d[6] * 100 + d[7] * 10 + d[8];
    if (area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0) {
        return 0;
    }
    if (all_same(d, 9)) {
        return 0;
    }
    if ((area == 78 && group == 5 && serial == 1120) ||
        (area == 123 && group == 45 && serial == 6789)) {
        return 0;
    }
    return 1;
}

/* ======================================================================== */
/* age secret keys (bech32, BIP-173)                                        */
/* ======================================================================== */

static const char bech32_charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t bech32_step(uint32_t pre)
{
    uint32_t b = pre >> 25;

    return ((pre & 0x1ffffffu) << 5) ^ ((0u - ((b >> 0) & 1u)) & 0x3b6a57b2u) ^
           ((0u - ((b >> 1) & 1u)) & 0x26508e6du) ^ ((0u - ((b >> 2) & 1u)) & 0x1ea119fau) ^
           ((0u - ((b >> 3) & 1u)) & 0x3d4233ddu) ^ ((0u - ((b >> 4) & 1u)) & 0x2a1462b3u);
}

#define AGE_HRP "age-secret-key-"
#define AGE_HRP_LEN 15
#define AGE_DATA 58   /* 52 chars for 32 bytes + 6 checksum chars */

/* AGE-SECRET-KEY-1 + 58 bech32 characters, upper or lower case (not mixed),
 * with a valid bech32 checksum for HRP "age-secret-key-" and zero padding
 * bits after the 32-byte key. */
static int check_age(const uint8_t *s, size_t n)
{
    uint32_t chk = 1;
    size_t i;
    int upper = 0;
    int lower = 0;
    int last = 0;

    if (n != AGE_HRP_LEN + 1 + AGE_DATA) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        upper |= is_upper(s[i]);
        lower |= is_lower(s[i]);
    }
    if ((upper && lower) || !ieq(s, AGE_HRP_LEN, AGE_HRP) || s[AGE_HRP_LEN] != '1') {
        return 0;
    }
    for (i = 0; i < AGE_HRP_LEN; i++) {
        chk = bech32_step(chk) ^ ((uint32_t) AGE_HRP[i] >> 5);
    }
    chk = bech32_step(chk);
    for (i = 0; i < AGE_HRP_LEN; i++) {
        chk = bech32_step(chk) ^ ((uint32_t) AGE_HRP[i] & 31u);
    }
    for (i = AGE_HRP_LEN + 1; i < n; i++) {
        const char *p = memchr(bech32_charset, to_lower(s[i]), 32);
        if (p == NULL) {
            return 0;
        }
        last = (i == n - 7) ? (int) (p - bech32_charset) : last;
        chk = bech32_step(chk) ^ (uint32_t) (p - bech32_charset);
    }
    return chk == 1 && (last & 0x0f) == 0;
}

/* ======================================================================== */
/* Public API                                                               */
/* ======================================================================== */

/* Names and argument rules: 0 none, 1 optional, 2 required. */
static const struct validator_def {
    const char *name;   /* YAML spelling */
    int kind;           /* SCRUB_VAL_* */
    int arg;            /* 0 no argument, 1 optional, 2 required */
} validator_defs[] = {
    {"github-crc32", SCRUB_VAL_GITHUB_CRC32, 0},
    {"npm-crc32", SCRUB_VAL_NPM_CRC32, 0},
    {"jwt", SCRUB_VAL_JWT, 0},
    {"pem", SCRUB_VAL_PEM, 0},
    {"aws-key-id", SCRUB_VAL_AWS_KEY_ID, 0},
    {"entropy", SCRUB_VAL_ENTROPY, 1},
    {"not-placeholder", SCRUB_VAL_NOT_PLACEHOLDER, 0},
    {"luhn", SCRUB_VAL_LUHN, 0},
    {"iban", SCRUB_VAL_IBAN, 0},
    {"basic-auth", SCRUB_VAL_BASIC_AUTH, 0},
    {"ssn", SCRUB_VAL_SSN, 0},
    {"age-bech32", SCRUB_VAL_AGE_BECH32, 0},
    {"min-length", SCRUB_VAL_MIN_LENGTH, 2},
    {NULL, 0, 0}};

#define MIN_LENGTH_MAX 1048576.0

/* Write "validator '<name>': <what>" (name from the config, cut at 64). */
static int set_err(char *errstr, size_t errstr_size, int code, const char *name, size_t nlen,
                   const char *what)
{
    if (errstr != NULL && errstr_size > 0) {
        snprintf(errstr, errstr_size, "validator '%.*s': %s", (int) (nlen > 64 ? 64 : nlen), name,
                 what);
    }
    return code;
}

/* Parse "[0-9]+(.[0-9]+)?" from p[0..n) without the C locale. -1 if not. */
static int parse_decimal(const char *p, size_t n, double *out)
{
    size_t i = 0;
    double v = 0.0;
    double scale = 1.0;
    int digits = 0;

    while (i < n && p[i] >= '0' && p[i] <= '9') {
        if (v < 1e12) {
            v = v * 10.0 + (p[i] - '0');
        }
        i++;
        digits++;
    }
    if (digits == 0) {
        return -1;
    }
    if (i < n && p[i] == '.') {
        i++;
        digits = 0;
        while (i < n && p[i] >= '0' && p[i] <= '9') {
            scale /= 10.0;
            v += (p[i] - '0') * scale;
            i++;
            digits++;
        }
        if (digits == 0) {
            return -1;
        }
    }
    if (i != n) {
        return -1;
    }
    *out = v;
    return 0;
}

int scrub_validator_parse(const char *spec, scrub_validator_t *v, char *errstr,
                          size_t errstr_size)
{
    const char *p;
    const char *end;
    const char *name;
    const char *open;
    size_t nlen;
    const struct validator_def *d;
    scrub_validator_t out;

    if (spec == NULL || v == NULL) {
        return set_err(errstr, errstr_size, SCRUB_EINVAL, "", 0, "missing spec");
    }
    p = spec;
    end = spec + strlen(spec);
    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }
    while (end > p && (end[-1] == ' ' || end[-1] == '\t')) {
        end--;
    }
    name = p;
    open = memchr(p, '(', (size_t) (end - p));
    nlen = (size_t) ((open != NULL ? open : end) - name);
    while (nlen > 0 && (name[nlen - 1] == ' ' || name[nlen - 1] == '\t')) {
        nlen--;
    }
    for (d = validator_defs; d->name != NULL; d++) {
        if (strlen(d->name) == nlen && memcmp(d->name, name, nlen) == 0) {
            break;
        }
    }
    if (d->name == NULL) {
        return set_err(errstr, errstr_size, SCRUB_ECONFIG, name, nlen, "unknown validator");
    }
    out.kind = d->kind;
    out.arg = 0.0;
    out.has_arg = 0;
    if (open != NULL) {
        const char *a = open + 1;
        const char *b = end;
        if (b == a || b[-1] != ')') {
            return set_err(errstr, errstr_size, SCRUB_ECONFIG, name, nlen,
                           "missing ')' after the argument");
        }
        b--;
        while (a < b && (*a == ' ' || *a == '\t')) {
            a++;
        }
        while (b > a && (b[-1] == ' ' || b[-1] == '\t')) {
            b--;
        }
        if (d->arg == 0) {
            return set_err(errstr, errstr_size, SCRUB_ECONFIG, name, nlen,
                           "takes no argument");
        }
        if (parse_decimal(a, (size_t) (b - a), &out.arg) != 0) {
            return set_err(errstr, errstr_size, SCRUB_ECONFIG, name, nlen,
                           "the argument is not a plain decimal number");
        }
        if (d->kind == SCRUB_VAL_ENTROPY && (out.arg <= 0.0 || out.arg > 8.0)) {
            return set_err(errstr, errstr_size, SCRUB_ECONFIG, name, nlen,
                           "the threshold must be in (0, 8] bits per char");
        }
        if (d->kind == SCRUB_VAL_MIN_LENGTH &&
            (out.arg < 1.0 || out.arg > MIN_LENGTH_MAX || out.arg != (double) (long) out.arg)) {
            return set_err(errstr, errstr_size, SCRUB_ECONFIG, name, nlen,
                           "the length must be an integer from 1 to 1048576");
        }
        out.has_arg = 1;
    }
    else if (d->arg == 2) {
        return set_err(errstr, errstr_size, SCRUB_ECONFIG, name, nlen,
                           "needs an argument in parentheses");
    }
    *v = out;
    if (errstr != NULL && errstr_size > 0) {
        errstr[0] = '\0';
    }
    return 0;
}

int scrub_validator_check(const scrub_validator_t *v, const uint8_t *s, size_t n)
{
    if (v == NULL) {
        return 1;
    }
    if (s == NULL) {
        if (n > 0) {
            return 1;
        }
        s = (const uint8_t *) "";
    }
    switch (v->kind) {
    case SCRUB_VAL_GITHUB_CRC32:
        return check_crc_token(s, n, github_prefixes);
    case SCRUB_VAL_NPM_CRC32:
        return check_crc_token(s, n, npm_prefixes);
    case SCRUB_VAL_JWT:
        return check_jwt(s, n);
    case SCRUB_VAL_PEM:
        return check_pem(s, n);
    case SCRUB_VAL_AWS_KEY_ID:
        return check_aws_key_id(s, n);
    case SCRUB_VAL_ENTROPY:
        return check_entropy(s, n, v->has_arg, v->arg);
    case SCRUB_VAL_NOT_PLACEHOLDER:
        return !is_placeholder(s, n);
    case SCRUB_VAL_LUHN:
        return check_luhn(s, n);
    case SCRUB_VAL_IBAN:
        return check_iban(s, n);
    case SCRUB_VAL_BASIC_AUTH:
        return check_basic_auth(s, n);
    case SCRUB_VAL_SSN:
        return check_ssn(s, n);
    case SCRUB_VAL_AGE_BECH32:
        return check_age(s, n);
    case SCRUB_VAL_MIN_LENGTH:
        return (double) n >= v->arg;
    default:
        return 1;
    }
}

const char *scrub_validator_name(const scrub_validator_t *v)
{
    const struct validator_def *d;

    if (v != NULL) {
        for (d = validator_defs; d->name != NULL; d++) {
            if (d->kind == v->kind) {
                return d->name;
            }
        }
    }
    return "unknown";
}

/*
 * The compiled form of the tools shared by constrain_compile.c (JSON Schema to tables) and
 * constrain.c (the automaton and the allowed-token walk).
 *
 * Schemas become nodes that say which kinds of value may appear and what bounds them. Names,
 * declared keys and enum values become literal tries: a value that must be one of a few exact
 * texts is followed byte by byte, and a trie node is only entered when some entry below it can
 * still be used.
 */
#ifndef G4_TOOLCALL_CONSTRAIN_INTERNAL_H
#define G4_TOOLCALL_CONSTRAIN_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "toolcall/constrain.h"

enum {
    TCC_STRING = 1,
    TCC_NUMBER = 2,
    TCC_BOOL = 4,
    TCC_NULL = 8,
    TCC_OBJECT = 16,
    TCC_ARRAY = 32,
    TCC_ALL = 63,
};

#define TCC_ANY 0       /* node 0: any value (free objects and arrays of any values) */
#define TCC_NONE 1      /* node 1: no value at all (schema false) */
#define TCC_NO_ITEMS -1 /* tcc_node.items: no items beyond the tuple */
#define TCC_UNBOUNDED UINT32_MAX

typedef struct tcc_node {
    uint8_t kinds;             /* TCC_* bits */
    bool integer;              /* numbers without fraction or exponent */
    int32_t enum_lit;          /* literal trie of the allowed values' texts (-1: no enum / const) */
    int32_t first_alt, n_alts; /* anyOf / oneOf branches: g4_tcc.list[first_alt ..] */
    /* strings */
    uint32_t min_len, max_len;
    /* numbers */
    bool has_lo, has_hi, lo_excl, hi_excl;
    double lo, hi;
    /* objects */
    int32_t first_prop, n_props; /* g4_tcc.props[first_prop ..]: each property's schema node */
    int32_t key_lit;             /* literal trie of "key:" texts; term = property index (-1: none) */
    uint64_t required;           /* property bits */
    int32_t n_required;
    bool free_keys;     /* undeclared keys allowed */
    int32_t free_value; /* their values' schema node */
    uint32_t min_props, max_props;
    /* arrays */
    int32_t first_prefix, n_prefix; /* tuple items: g4_tcc.list[first_prefix ..] */
    int32_t items;                  /* the other items' node, or TCC_NO_ITEMS */
    uint32_t min_items, max_items;
} tcc_node;

typedef struct tcc_lit {
    int32_t child, sibling; /* first child and next sibling (-1: none) */
    int32_t term;           /* entry that ends here (-1: none) */
    uint64_t mask;          /* entries (bits) in the subtree: declared keys */
    unsigned char byte;     /* the byte leading here from the parent */
} tcc_lit;

struct g4_tcc {
    tcc_node *nodes;
    int32_t n_nodes, cap_nodes;
    tcc_lit *lits;
    int32_t n_lits, cap_lits;
    int32_t *props;
    int32_t n_props, cap_props;
    int32_t *list;
    int32_t n_list, cap_list;
    int32_t names_lit; /* "NAME{" texts; term = tool index */
    int32_t n_tools;
    int32_t *tool_node; /* [n_tools] the arguments' object node (-1: the tool cannot be called) */
};

/* The child of literal node n for byte b, or -1. */
static inline int32_t tcc_lit_child(const struct g4_tcc *g, int32_t n, unsigned char b) {
    for (int32_t c = g->lits[n].child; c >= 0; c = g->lits[c].sibling)
        if (g->lits[c].byte == b) return c;
    return -1;
}

static inline bool tcc_inhabited(const struct g4_tcc *g, int32_t n) {
    return n >= 0 && (g->nodes[n].kinds != 0 || g->nodes[n].n_alts > 0);
}

#endif

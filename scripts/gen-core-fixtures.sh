#!/usr/bin/env bash
# Regenerates test/fixtures/crush/core/ from Ceph itself:
#  - hash-vectors.json and builder-cases.json come from small C harnesses (written for tsceph, below)
#    linked against the installed Ceph 16.2 libceph-common, the library /usr/bin/crushtool runs;
#  - maps/*.txt are compiled with /usr/bin/crushtool -c and their mappings recorded with
#    crushtool --test --show-mappings (see gen-core-maps.mjs).
# Usage: bash scripts/gen-core-fixtures.sh     (needs gcc, crushtool and libceph-common)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/test/fixtures/crush/core"
lib=/usr/lib/x86_64-linux-gnu/ceph/libceph-common.so.2
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
cc_lib() { gcc -O1 -o "$tmp/$1" "${@:2}" "$lib" -Wl,-rpath,"$(dirname "$lib")"; }

# --- hash vectors --------------------------------------------------------------------------------
cat > "$tmp/hv.c" <<'EOF'
#include <stdio.h>
#include <stdint.h>
typedef uint32_t u32;
u32 crush_hash32(int t, u32 a); u32 crush_hash32_2(int t,u32,u32); u32 crush_hash32_3(int t,u32,u32,u32);
u32 crush_hash32_4(int t,u32,u32,u32,u32); u32 crush_hash32_5(int t,u32,u32,u32,u32,u32);
static u32 s=12345; static u32 rnd(){ s = s*1103515245u+12345u; u32 a=s>>8; s = s*1103515245u+12345u; return (a<<16) ^ (s>>8); }
int main(){
  u32 special[]={0,1,2,0x7fffffff,0x80000000,0xffffffff,0xfffffffe,123456789,(u32)-1000,0x10000};
  printf("[\n");
  for(int i=0;i<60;i++){
    u32 v[5]; for(int k=0;k<5;k++) v[k]= (i<10 && k==0)? special[i] : (i%3==0? special[(i+k)%10] : rnd());
    printf("[%u,%u,%u,%u,%u,%u,%u,%u,%u,%u]%s\n", v[0],v[1],v[2],v[3],v[4],
      crush_hash32(0,v[0]), crush_hash32_2(0,v[0],v[1]), crush_hash32_3(0,v[0],v[1],v[2]),
      crush_hash32_4(0,v[0],v[1],v[2],v[3]), crush_hash32_5(0,v[0],v[1],v[2],v[3],v[4]), i<59?",":"");
  }
  printf("]\n");
}
EOF
cc_lib hv "$tmp/hv.c"
"$tmp/hv" > "$out/hash-vectors.json"

# --- builder cases -------------------------------------------------------------------------------
# Ceph's tree-bucket growth reads realloc'd memory it never initialised; this allocator makes every
# block start zeroed so the recorded node weights are deterministic (tsceph zero-fills too).
cat > "$tmp/zalloc.c" <<'EOF'
#include <stddef.h>
#include <string.h>
#define MAGIC ((size_t)0x5eedfacecafe1234ull)
extern void *__libc_malloc(size_t); extern void __libc_free(void *);
void *malloc(size_t n){ size_t *p = __libc_malloc(n + 16); if(!p) return 0; p[0]=n; p[1]=MAGIC; memset(p+2,0,n); return p+2; }
void free(void *q){ if(!q) return; size_t *p=(size_t*)q-2; if (p[1]==MAGIC){ p[1]=0; __libc_free(p);} else __libc_free(q); }
void *calloc(size_t a, size_t b){ return malloc(a*b); }
void *realloc(void *q, size_t n){ if(!q) return malloc(n); size_t *p=(size_t*)q-2; size_t old = p[1]==MAGIC ? p[0] : 0; void *r = malloc(n); if(!r) return 0; memcpy(r,q,old<n?old:n); free(q); return r; }
EOF
cat > "$tmp/bh.c" <<'EOF'
/* builder harness: calls libceph-common's builder and prints JSON lines */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
typedef uint32_t u32; typedef int32_t s32; typedef uint8_t u8; typedef uint16_t u16;
struct bucket { s32 id; u16 type; u8 alg; u8 hash; u32 weight; u32 size; s32 *items; };
struct b_uniform { struct bucket h; u32 item_weight; };
struct b_list { struct bucket h; u32 *item_weights; u32 *sum_weights; };
struct b_tree { struct bucket h; u8 num_nodes; u32 *node_weights; };
struct b_straw { struct bucket h; u32 *item_weights; u32 *straws; };
struct b_straw2 { struct bucket h; u32 *item_weights; };
struct cmap { struct bucket **buckets; void **rules; s32 max_buckets; u32 max_rules; s32 max_devices;
  u32 clt, clft, ctt, cdo; u8 vary_r, stable; size_t working_size; u8 straw_calc_version; u32 allowed; u32 *choose_tries; };
struct cmap *crush_create(void);
struct bucket *crush_make_bucket(struct cmap*, int alg, int hash, int type, int size, int *items, int *weights);
int crush_bucket_add_item(struct cmap*, struct bucket*, int item, int weight);
int crush_bucket_remove_item(struct cmap*, struct bucket*, int item);
int crush_bucket_adjust_item_weight(struct cmap*, struct bucket*, int item, int weight);
int crush_add_bucket(struct cmap*, int id, struct bucket*, int *idout);
int crush_reweight_bucket(struct cmap*, struct bucket*);

static u32 s=777; static u32 rnd(void){ s = s*1103515245u+12345u; u32 a=s>>8; s = s*1103515245u+12345u; return (a<<16) ^ (s>>8); }
static void arr_u(const char*k, u32*a, int n){ printf(",\"%s\":[",k); for(int i=0;i<n;i++) printf("%s%u",i?",":"",a[i]); printf("]"); }
static void dump(struct bucket *b){
  printf("{\"weight\":%u,\"size\":%u,\"items\":[",b->weight,b->size);
  for(u32 i=0;i<b->size;i++) printf("%s%d",i?",":"",b->items[i]); printf("]");
  switch(b->alg){
  case 1: printf(",\"itemWeight\":%u",((struct b_uniform*)b)->item_weight); break;
  case 2: arr_u("itemWeights",((struct b_list*)b)->item_weights,b->size); arr_u("sumWeights",((struct b_list*)b)->sum_weights,b->size); break;
  case 3: printf(",\"numNodes\":%u",((struct b_tree*)b)->num_nodes); arr_u("nodeWeights",((struct b_tree*)b)->node_weights,((struct b_tree*)b)->num_nodes); break;
  case 4: arr_u("itemWeights",((struct b_straw*)b)->item_weights,b->size); arr_u("straws",((struct b_straw*)b)->straws,b->size); break;
  case 5: arr_u("itemWeights",((struct b_straw2*)b)->item_weights,b->size); break;
  }
  printf("}");
}
static u32 rweight(int mode){
  switch(mode){
  case 0: return (rnd()%8)*0x8000;            /* few distinct values incl. 0: many ties */
  case 1: return rnd()%0x40000;                /* arbitrary small */
  case 2: return 0x10000*(1+rnd()%4);          /* whole numbers */
  default: return rnd()%(0x10000*2000);        /* large (wnext wraps in u32) */
  }
}
int main(void){
  struct cmap *m = crush_create();
  if (m->ctt != 50 || m->allowed != 54) { fprintf(stderr,"layout mismatch\n"); return 1; }
  int first=1;
  printf("[\n");
  for (int c=0;c<600;c++){
    int alg = c<400 ? 1 + c%5 : 4; int scv = (c/5)%2; int mode=(c/10)%4;
    m->straw_calc_version = scv;
    int n = (alg==1) ? 1+rnd()%9 : (c<400 ? rnd()%12 : 1+rnd()%40); if (alg==3 && n>60) n=60;
    int items[64], weights[64];
    for(int i=0;i<n;i++){ items[i]=i*3+ (rnd()%3); weights[i]= (int)rweight(mode); }
    if (alg==1 && n) { weights[0] = 0x10000*(1+rnd()%3); }
    struct bucket *b = crush_make_bucket(m, alg, 0, 1, n, items, weights);
    printf("%s{\"alg\":%d,\"strawCalcVersion\":%d,\"items\":[",first?"":",\n",alg,scv); first=0;
    for(int i=0;i<n;i++) printf("%s%d",i?",":"",items[i]); printf("],\"weights\":[");
    for(int i=0;i<n;i++) printf("%s%u",i?",":"",(u32)weights[i]); printf("],\"made\":");
    if(!b){ printf("null,\"ops\":[]}"); continue; }
    dump(b); printf(",\"ops\":[");
    int nops = c<400 ? rnd()%8 : rnd()%2;
    int next_item = 1000;
    for(int k=0;k<nops;k++){
      int op = rnd()%3; if (op==1 && b->size<=1) op=0; int r; int item; u32 w = rweight(mode);
      if (alg==1) w = ((struct b_uniform*)b)->item_weight;
      if (op==0){ item = next_item++; r = crush_bucket_add_item(m,b,item,(int)w); }
      else { if (b->size==0) { item = 5; } else item = (rnd()%4==0)? 99999 : b->items[rnd()%b->size];
        if (op==1) { if (alg==3 && item==99999) item=b->size?b->items[0]:5; r = crush_bucket_remove_item(m,b,item); if (alg==3 && b->size==0) { printf("%s{\"op\":%d,\"item\":%d,\"weight\":%u,\"ret\":%d,\"after\":null}",k?",":"",op,item,w,r); break; } }
        else { if (alg==1) w = 0x10000*(1+rnd()%3); r = crush_bucket_adjust_item_weight(m,b,item,(int)w); } }
      printf("%s{\"op\":%d,\"item\":%d,\"weight\":%u,\"ret\":%d,\"after\":",k?",":"",op,item,w,r); dump(b); printf("}");
    }
    printf("]}");
  }
  printf("\n]\n");
  return 0;
}
EOF
cc_lib bh "$tmp/bh.c" "$tmp/zalloc.c"
"$tmp/bh" > "$out/builder-cases.json"

# --- reweight cases ------------------------------------------------------------------------------
cat > "$tmp/rw.c" <<'EOF'
/* reweight harness: random two-level hierarchies, stale weights, crush_reweight_bucket(root) */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
typedef uint32_t u32; typedef int32_t s32; typedef uint8_t u8; typedef uint16_t u16;
struct bucket { s32 id; u16 type; u8 alg; u8 hash; u32 weight; u32 size; s32 *items; };
struct b_uniform { struct bucket h; u32 item_weight; };
struct b_list { struct bucket h; u32 *item_weights; u32 *sum_weights; };
struct b_tree { struct bucket h; u8 num_nodes; u32 *node_weights; };
struct b_straw { struct bucket h; u32 *item_weights; u32 *straws; };
struct b_straw2 { struct bucket h; u32 *item_weights; };
struct cmap { struct bucket **buckets; void **rules; s32 max_buckets; u32 max_rules; s32 max_devices;
  u32 clt, clft, ctt, cdo; u8 vary_r, stable; size_t working_size; u8 straw_calc_version; u32 allowed; u32 *choose_tries; };
struct cmap *crush_create(void);
struct bucket *crush_make_bucket(struct cmap*, int alg, int hash, int type, int size, int *items, int *weights);
int crush_add_bucket(struct cmap*, int id, struct bucket*, int *idout);
int crush_reweight_bucket(struct cmap*, struct bucket*);
static u32 s=4242; static u32 rnd(void){ s = s*1103515245u+12345u; u32 a=s>>8; s = s*1103515245u+12345u; return (a<<16) ^ (s>>8); }
static void arr_u(const char*k, u32*a, int n){ printf(",\"%s\":[",k); for(int i=0;i<n;i++) printf("%s%u",i?",":"",a[i]); printf("]"); }
static void dump(struct bucket *b){
  printf("{\"id\":%d,\"weight\":%u,\"size\":%u,\"items\":[",b->id,b->weight,b->size);
  for(u32 i=0;i<b->size;i++) printf("%s%d",i?",":"",b->items[i]); printf("]");
  switch(b->alg){
  case 1: printf(",\"itemWeight\":%u",((struct b_uniform*)b)->item_weight); break;
  case 2: arr_u("itemWeights",((struct b_list*)b)->item_weights,b->size); arr_u("sumWeights",((struct b_list*)b)->sum_weights,b->size); break;
  case 3: printf(",\"numNodes\":%u",((struct b_tree*)b)->num_nodes); arr_u("nodeWeights",((struct b_tree*)b)->node_weights,((struct b_tree*)b)->num_nodes); break;
  case 4: arr_u("itemWeights",((struct b_straw*)b)->item_weights,b->size); arr_u("straws",((struct b_straw*)b)->straws,b->size); break;
  case 5: arr_u("itemWeights",((struct b_straw2*)b)->item_weights,b->size); break;
  }
  printf("}");
}
int main(void){
  printf("[\n");
  for (int c=0;c<60;c++){
    struct cmap *m = crush_create();
    m->straw_calc_version = c%2;
    int nchild = 1 + rnd()%4, dev = 0;
    int rootItems[8], rootW[8];
    printf("%s{\"strawCalcVersion\":%d,\"make\":[", c?",\n":"", c%2);
    for (int k=0;k<nchild;k++){
      int alg = 1 + rnd()%5; int n = 1 + rnd()%5; int items[8], w[8];
      u32 uw = 0x10000*(1+rnd()%3);
      for(int i=0;i<n;i++){ items[i]=dev++; w[i]= alg==1 ? uw : rnd()%0x30000; }
      if (rnd()%3==0 && alg!=1) { items[n]= -100; }  /* no child-bucket mix for simplicity */
      struct bucket *b = crush_make_bucket(m, alg, 0, 1, n, items, w);
      int id; crush_add_bucket(m, -2-k, b, &id);
      printf("%s{\"id\":%d,\"alg\":%d,\"type\":1,\"items\":[",k?",":"",id,alg);
      for(int i=0;i<n;i++) printf("%s%d",i?",":"",items[i]); printf("],\"weights\":[");
      for(int i=0;i<n;i++) printf("%s%u",i?",":"",(u32)w[i]); printf("]}");
      rootItems[k]=id; rootW[k]= rnd()%0x50000; /* stale */
    }
    int ralg = 1 + (c/2)%5;
    if (ralg==1) for(int k=0;k<nchild;k++) rootW[k]=rootW[0];
    struct bucket *rb = crush_make_bucket(m, ralg, 0, 2, nchild, rootItems, rootW);
    if (!rb) { printf("],\"root\":null}"); continue; }
    int rid; crush_add_bucket(m, -1, rb, &rid);
    printf(",{\"id\":-1,\"alg\":%d,\"type\":2,\"items\":[",ralg);
    for(int i=0;i<nchild;i++) printf("%s%d",i?",":"",rootItems[i]); printf("],\"weights\":[");
    for(int i=0;i<nchild;i++) printf("%s%u",i?",":"",(u32)rootW[i]); printf("]}");
    int r = crush_reweight_bucket(m, rb);
    printf("],\"ret\":%d,\"after\":[", r);
    for (int i=0;i<m->max_buckets;i++) if (m->buckets[i]) { printf("%s", i?",":""); dump(m->buckets[i]); }
    printf("]}");
  }
  printf("\n]\n");
}
EOF
cc_lib rw "$tmp/rw.c" "$tmp/zalloc.c"
"$tmp/rw" > "$out/reweight-cases.json"

# --- mapping fixtures recorded with crushtool ----------------------------------------------------
node "$root/scripts/gen-core-maps.mjs"

/* Validation: one valid document per construct, each rule broken with
 * graphql-js 16's message and location (expected results produced by
 * graphql-js itself on the same schema and documents), the limits,
 * introspection on and off, and fragment fan-out staying fast. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/arena.h"
#include "common/mem.h"
#include "graphql/parser.h"
#include "graphql/validate.h"
#include "test.h"

static const char test_sdl[] =
    "directive @natsRequest(subject: String!, timeout: String) on FIELD_DEFINITION\n"
    "directive @natsPublish(subject: String!) on FIELD_DEFINITION\n"
    "directive @natsSubscribe(subjects: [String!]!) on FIELD_DEFINITION\n"
    "directive @cached(ttl: Int) on FIELD\n"
    "directive @tag(name: String!) repeatable on FIELD | QUERY\n"
    "interface Node { id: ID! }\n"
    "interface Named { name: String! }\n"
    "type Order implements Node {\n"
    "  id: ID!\n"
    "  status: Status!\n"
    "  total: Float!\n"
    "  items: [LineItem!]!\n"
    "  customer: Customer\n"
    "  internalCost: Float\n"
    "  placedAt: DateTime\n"
    "}\n"
    "type LineItem { sku: String! quantity: Int! price: Float! }\n"
    "type Customer implements Node & Named {\n"
    "  id: ID!\n"
    "  name: String!\n"
    "  email: String\n"
    "  orders(first: Int = 10, status: Status): [Order!]!\n"
    "}\n"
    "type Pet implements Named { name: String! }\n"
    "enum Status { OPEN PAID SHIPPED CANCELLED }\n"
    "scalar DateTime\n"
    "union SearchResult = Order | Customer\n"
    "input OrderInput { sku: String! quantity: Int! = 1 note: String tags: [String!] }\n"
    "input Filter { status: [Status!] ids: [ID!]! nested: Filter }\n"
    "type Query {\n"
    "  order(id: ID!): Order @natsRequest(subject: \"orders.get.{{ args.id }}\", timeout: \"1s\")\n"
    "  orders(status: Status = OPEN, first: Int = 20): [Order!]! @natsRequest(subject: "
    "\"orders.list\")\n"
    "  search(text: String!): [SearchResult!]! @natsRequest(subject: \"orders.search\")\n"
    "  node(id: ID!): Node @natsRequest(subject: \"node\")\n"
    "  named: [Named!]! @natsRequest(subject: \"named\")\n"
    "  filter(f: Filter, flag: Boolean, ratio: Float, when: DateTime, ids: [ID!]): [Order!]! "
    "@natsRequest(subject: \"filter\")\n"
    "}\n"
    "type Mutation {\n"
    "  placeOrder(input: OrderInput!): Order! @natsRequest(subject: \"orders.place\")\n"
    "  notify(channel: String!, text: String!): Boolean! @natsPublish(subject: \"notify.{{ "
    "args.channel }}\")\n"
    "}\n"
    "type Subscription {\n"
    "  orderUpdated(id: ID!): Order! @natsSubscribe(subjects: [\"orders.updated.{{ args.id }}\"])\n"
    "  orderDeleted(id: ID!): ID! @natsSubscribe(subjects: [\"orders.deleted\"])\n"
    "}\n";

typedef struct {
    uint32_t line, col;
    const char *message;
} want_error;

typedef struct {
    const char *query;
    size_t n;
    want_error errors[5];
} vcase;

/* clang-format off */
static const vcase cases[] = {
    {"{ order(id: \"1\") { id status total items { sku quantity price } customer { name email } placedAt } }",
     0,
     {}},
    {"query Q($id: ID!, $first: Int = 5) { order(id: $id) { ...O } orders(first: $first, status: PAID) { id } }\nfragment O on Order { id ... on Order { total } }",
     0,
     {}},
    {"{ search(text: \"x\") { __typename ... on Order { id } ... on Customer { id name } } }",
     0,
     {}},
    {"{ named { name ... on Customer { email } ... on Pet { name } } node(id: 4) { id ... on Order { status } } }",
     0,
     {}},
    {"mutation M($in: OrderInput!) { placeOrder(input: $in) { id } notify(channel: \"c\", text: \"t\") }",
     0,
     {}},
    {"subscription S($id: ID!) { orderUpdated(id: $id) { id status } }",
     0,
     {}},
    {"{ filter(f: {ids: [\"1\", 2], status: [OPEN, PAID], nested: {ids: []}}, flag: true, ratio: 1, when: \"2024\") { id } }",
     0,
     {}},
    {"{ filter(f: {ids: \"1\", status: OPEN}, ratio: 1.5, when: {any: [1, 2]}) { id } }",
     0,
     {}},
    {"query($skip: Boolean!) { order(id: 1) @skip(if: $skip) { id @include(if: true) } __typename }",
     0,
     {}},
    {"{ __schema { types { name } } __type(name: \"Order\") { name fields { name } } }",
     0,
     {}},
    {"{ a: order(id: 1) { id } b: order(id: 2) { id } order(id: 1) { total } }",
     0,
     {}},
    {"{ order(id: 1) @tag(name: \"a\") @tag(name: \"b\") @cached(ttl: 5) { id } }",
     0,
     {}},
    {"{ order(id: 1) { id nope } }",
     1,
     {{1, 21, "Cannot query field \"nope\" on type \"Order\"."}}},
    {"{ orders { idd } }",
     1,
     {{1, 12, "Cannot query field \"idd\" on type \"Order\". Did you mean \"id\"?"}}},
    {"{ search(text: \"x\") { name } }",
     1,
     {{1, 23, "Cannot query field \"name\" on type \"SearchResult\". Did you mean to use an inline fragment on \"Named\" or \"Customer\"?"}}},
    {"{ named { email } }",
     1,
     {{1, 11, "Cannot query field \"email\" on type \"Named\". Did you mean to use an inline fragment on \"Customer\"?"}}},
    {"{ node(id: 1) { status } }",
     1,
     {{1, 17, "Cannot query field \"status\" on type \"Node\". Did you mean to use an inline fragment on \"Order\"?"}}},
    {"{ order(id: 1) { id { x } } }",
     1,
     {{1, 21, "Field \"id\" must not have a selection since type \"ID!\" has no subfields."}}},
    {"{ order(id: 1) }",
     1,
     {{1, 3, "Field \"order\" of type \"Order\" must have a selection of subfields. Did you mean \"order { ... }\"?"}}},
    {"{ orders { items } }",
     1,
     {{1, 12, "Field \"items\" of type \"[LineItem!]!\" must have a selection of subfields. Did you mean \"items { ... }\"?"}}},
    {"{ orders(bogus: 1, firts: 2) { id } }",
     2,
     {{1, 10, "Unknown argument \"bogus\" on field \"Query.orders\"."},
      {1, 20, "Unknown argument \"firts\" on field \"Query.orders\". Did you mean \"first\"?"}}},
    {"{ order(id: 1, id: 2) { id } }",
     1,
     {{1, 9, "There can be only one argument named \"id\"."}}},
    {"{ order { id } }",
     1,
     {{1, 3, "Field \"order\" argument \"id\" of type \"ID!\" is required, but it was not provided."}}},
    {"{ order(id: 1) @skip { id } }",
     1,
     {{1, 16, "Directive \"@skip\" argument \"if\" of type \"Boolean!\" is required, but it was not provided."}}},
    {"{ order(id: 1) @nope { id } }",
     1,
     {{1, 16, "Unknown directive \"@nope\"."}}},
    {"{ order(id: 1) @cached(ttl: 1) @cached(ttl: 2) { id } }",
     1,
     {{1, 16, "The directive \"@cached\" can only be used once at this location."}}},
    {"query @skip(if: true) { order(id: 1) { id } }",
     1,
     {{1, 7, "Directive \"@skip\" may not be used on QUERY."}}},
    {"{ order(id: 1) @natsRequest(subject: \"x\") { id } }",
     1,
     {{1, 16, "Directive \"@natsRequest\" may not be used on FIELD."}}},
    {"{ order(id: 1) @cached(tll: 1) { id } }",
     1,
     {{1, 24, "Unknown argument \"tll\" on directive \"@cached\". Did you mean \"ttl\"?"}}},
    {"{ orders(status: OPNE) { id } }",
     1,
     {{1, 18, "Value \"OPNE\" does not exist in \"Status\" enum. Did you mean the enum value \"OPEN\"?"}}},
    {"{ orders(status: \"OPEN\") { id } }",
     1,
     {{1, 18, "Enum \"Status\" cannot represent non-enum value: \"OPEN\". Did you mean the enum value \"OPEN\"?"}}},
    {"{ orders(first: \"1\") { id } }",
     1,
     {{1, 17, "Int cannot represent non-integer value: \"1\""}}},
    {"{ orders(first: 3000000000) { id } }",
     1,
     {{1, 17, "Int cannot represent non 32-bit signed integer value: 3000000000"}}},
    {"{ orders(first: 1.5) { id } }",
     1,
     {{1, 17, "Int cannot represent non-integer value: 1.5"}}},
    {"{ order(id: 1.5) { id } }",
     1,
     {{1, 13, "ID cannot represent a non-string and non-integer value: 1.5"}}},
    {"{ order(id: null) { id } }",
     1,
     {{1, 13, "Expected value of type \"ID!\", found null."}}},
    {"{ filter(flag: 1, ratio: \"x\") { id } }",
     2,
     {{1, 16, "Boolean cannot represent a non boolean value: 1"},
      {1, 26, "Float cannot represent non numeric value: \"x\""}}},
    {"mutation { placeOrder(input: {quantity: 2, bogus: 1}) { id } }",
     2,
     {{1, 30, "Field \"OrderInput.sku\" of required type \"String!\" was not provided."},
      {1, 44, "Field \"bogus\" is not defined by type \"OrderInput\". Did you mean \"tags\"?"}}},
    {"mutation { placeOrder(input: \"x\") { id } }",
     1,
     {{1, 30, "Expected value of type \"OrderInput!\", found \"x\"."}}},
    {"mutation { placeOrder(input: {sku: \"a\", sku: \"b\", tags: [\"x\", 1, null]}) { id } }",
     3,
     {{1, 31, "There can be only one input field named \"sku\"."},
      {1, 63, "String cannot represent a non string value: 1"},
      {1, 66, "Expected value of type \"String!\", found null."}}},
    {"{ filter(f: {ids: [null], nested: {ids: [1], status: OPEN, nested: 5}}) { id } }",
     2,
     {{1, 20, "Expected value of type \"ID!\", found null."},
      {1, 68, "Expected value of type \"Filter\", found 5."}}},
    {"{ filter(ids: [[1]]) { id } }",
     1,
     {{1, 16, "ID cannot represent a non-string and non-integer value: [1]"}}},
    {"query Q { order(id: 1) { id } }\nquery Q { orders { id } }",
     1,
     {{1, 7, "There can be only one operation named \"Q\"."}}},
    {"{ order(id: 1) { id } }\nquery Q { orders { id } }",
     1,
     {{1, 1, "This anonymous operation must be the only defined operation."}}},
    {"{ order(id: 1) { ...F } }\nfragment F on Order { id }\nfragment F on Order { total }",
     1,
     {{2, 10, "There can be only one fragment named \"F\"."}}},
    {"{ order(id: 1) { ...Nope } }",
     1,
     {{1, 21, "Unknown fragment \"Nope\"."}}},
    {"{ order(id: 1) { id } }\nfragment Unused on Order { id }",
     1,
     {{2, 1, "Fragment \"Unused\" is never used."}}},
    {"{ order(id: 1) { ...C } }\nfragment C on Customer { id }",
     1,
     {{1, 18, "Fragment \"C\" cannot be spread here as objects of type \"Order\" can never be of type \"Customer\"."}}},
    {"{ order(id: 1) { ... on Customer { id } } }",
     1,
     {{1, 18, "Fragment cannot be spread here as objects of type \"Order\" can never be of type \"Customer\"."}}},
    {"{ search(text: \"x\") { ... on Pet { name } } }",
     1,
     {{1, 23, "Fragment cannot be spread here as objects of type \"SearchResult\" can never be of type \"Pet\"."}}},
    {"{ named { ... on Order { id } } }",
     1,
     {{1, 11, "Fragment cannot be spread here as objects of type \"Named\" can never be of type \"Order\"."}}},
    {"{ named { ... on Customer { id } ... on Named { name } ... on Node { id } } }",
     0,
     {}},
    {"{ order(id: 1) { ...A } }\nfragment A on Order { ...B }\nfragment B on Order { ...C }\nfragment C on Order { ...A }",
     1,
     {{2, 23, "Cannot spread fragment \"A\" within itself via \"B\", \"C\"."}}},
    {"{ order(id: 1) { ...A } }\nfragment A on Order { id ...A }",
     1,
     {{2, 26, "Cannot spread fragment \"A\" within itself."}}},
    {"{ order(id: 1) { ... on Status { x } } }",
     1,
     {{1, 25, "Fragment cannot condition on non composite type \"Status\"."}}},
    {"{ order(id: 1) { ...S } }\nfragment S on Status { x }",
     1,
     {{2, 15, "Fragment \"S\" cannot condition on non composite type \"Status\"."}}},
    {"{ order(id: 1) { ... on Nope { id } } }",
     1,
     {{1, 25, "Unknown type \"Nope\". Did you mean \"Node\"?"}}},
    {"query($x: Nope) { order(id: $x) { id } }",
     1,
     {{1, 11, "Unknown type \"Nope\". Did you mean \"Node\"?"}}},
    {"query($x: Order) { order(id: $x) { id } }",
     2,
     {{1, 11, "Variable \"$x\" cannot be non-input type \"Order\"."},
      {1, 7, "Variable \"$x\" of type \"Order\" used in position expecting type \"ID!\"."}}},
    {"query($x: ID, $x: ID) { order(id: $x) { id } }",
     2,
     {{1, 8, "There can be only one variable named \"$x\"."},
      {1, 15, "Variable \"$x\" of type \"ID\" used in position expecting type \"ID!\"."}}},
    {"{ order(id: $x) { id } }",
     1,
     {{1, 13, "Variable \"$x\" is not defined."}}},
    {"query Q { order(id: $x) { id } }",
     1,
     {{1, 21, "Variable \"$x\" is not defined by operation \"Q\"."}}},
    {"query Q($x: ID!, $y: Int) { order(id: $x) { id } }",
     1,
     {{1, 18, "Variable \"$y\" is never used in operation \"Q\"."}}},
    {"query($y: Int) { order(id: 1) { id } }",
     1,
     {{1, 7, "Variable \"$y\" is never used."}}},
    {"query Q($x: ID) { order(id: $x) { id } }",
     1,
     {{1, 9, "Variable \"$x\" of type \"ID\" used in position expecting type \"ID!\"."}}},
    {"query Q($x: ID = \"1\") { order(id: $x) { id } }",
     0,
     {}},
    {"query Q($x: Int!) { order(id: $x) { id } }",
     1,
     {{1, 9, "Variable \"$x\" of type \"Int!\" used in position expecting type \"ID!\"."}}},
    {"query Q($s: [Status]) { filter(f: {ids: [], status: $s}) { id } }",
     1,
     {{1, 9, "Variable \"$s\" of type \"[Status]\" used in position expecting type \"[Status!]\"."}}},
    {"query Q($n: Int) { order(id: 1) { customer { orders(first: $n) { id } } } }",
     0,
     {}},
    {"query Q($i: ID!) { filter(ids: [$i]) { id } }",
     0,
     {}},
    {"query Q($i: ID) { filter(f: {ids: [$i]}) { id } }",
     1,
     {{1, 9, "Variable \"$i\" of type \"ID\" used in position expecting type \"ID!\"."}}},
    {"query Q($x: ID!) { ...F }\nfragment F on Query { order(id: $x) { id } }",
     0,
     {}},
    {"query A($x: ID!) { ...F }\nquery B { ...F }\nfragment F on Query { order(id: $x) { id } }",
     1,
     {{3, 33, "Variable \"$x\" is not defined by operation \"B\"."}}},
    {"query Q($x: Int = \"a\") { orders(first: $x) { id } }",
     1,
     {{1, 19, "Int cannot represent non-integer value: \"a\""}}},
    {"subscription { orderUpdated(id: 1) { id } orderDeleted(id: 1) }",
     1,
     {{1, 43, "Anonymous Subscription must select only one top level field."}}},
    {"subscription S { orderUpdated(id: 1) { id } ...F }\nfragment F on Subscription { orderDeleted(id: 2) }",
     1,
     {{2, 30, "Subscription \"S\" must select only one top level field."}}},
    {"subscription { __typename }",
     1,
     {{1, 16, "Anonymous Subscription must not select an introspection top level field."}}},
    {"{ x: order(id: 1) { id } x: orders { id } }",
     1,
     {{1, 3, "Fields \"x\" conflict because \"order\" and \"orders\" are different fields. Use different aliases on the fields to fetch both if this was intentional."}}},
    {"{ order(id: 1) { id } order(id: 2) { id } }",
     1,
     {{1, 3, "Fields \"order\" conflict because they have differing arguments. Use different aliases on the fields to fetch both if this was intentional."}}},
    {"{ order(id: 1) { x: id x: total } }",
     1,
     {{1, 18, "Fields \"x\" conflict because \"id\" and \"total\" are different fields. Use different aliases on the fields to fetch both if this was intentional."}}},
    {"{ order(id: 1) { customer { name } } order(id: 1) { customer { name: email } } }",
     1,
     {{1, 3, "Fields \"order\" conflict because subfields \"customer\" conflict because subfields \"name\" conflict because \"name\" and \"email\" are different fields. Use different aliases on the fields to fetch both if this was intentional."}}},
    {"{ search(text: \"a\") { ... on Order { id: status } ... on Customer { id } } }",
     1,
     {{1, 38, "Fields \"id\" conflict because they return conflicting types \"Status!\" and \"ID!\". Use different aliases on the fields to fetch both if this was intentional."}}},
    {"{ named { ... on Pet { name } ... on Customer { name: email } } }",
     1,
     {{1, 24, "Fields \"name\" conflict because they return conflicting types \"String!\" and \"String\". Use different aliases on the fields to fetch both if this was intentional."}}},
    {"{ node(id: 1) { ...on Order { status } ...on Customer { status: name } } }",
     1,
     {{1, 31, "Fields \"status\" conflict because they return conflicting types \"Status!\" and \"String!\". Use different aliases on the fields to fetch both if this was intentional."}}},
    {"{ order(id: 1) { ...F id: total } }\nfragment F on Order { id }",
     1,
     {{1, 23, "Fields \"id\" conflict because \"total\" and \"id\" are different fields. Use different aliases on the fields to fetch both if this was intentional."}}},
    {"{ orders(first: 1) { id } orders(first: 2) { id } }",
     1,
     {{1, 3, "Fields \"orders\" conflict because they have differing arguments. Use different aliases on the fields to fetch both if this was intentional."}}},
    {"{ orders(first: 1) { id } orders(first: 1) { id } }",
     0,
     {}},
    {"{ orders(status: OPEN) { id } ...Q }\nfragment Q on Query { orders(status: PAID) { id } }",
     1,
     {{1, 3, "Fields \"orders\" conflict because they have differing arguments. Use different aliases on the fields to fetch both if this was intentional."}}},
    {"query Q($a: Int) { orders(first: $a) { id } orders(first: 1) { id } }",
     1,
     {{1, 20, "Fields \"orders\" conflict because they have differing arguments. Use different aliases on the fields to fetch both if this was intentional."}}},
    {"mutation { order(id: 1) { id } }",
     1,
     {{1, 12, "Cannot query field \"order\" on type \"Mutation\"."}}},
    {"{ __type(name: 1) { name } __schema { nope } }",
     2,
     {{1, 16, "String cannot represent a non string value: 1"},
      {1, 39, "Cannot query field \"nope\" on type \"__Schema\"."}}},
    {"{ order(id: 1) { __schema { types { name } } } }",
     1,
     {{1, 18, "Cannot query field \"__schema\" on type \"Order\"."}}},
    {"{ order(id: 1) { __typename id } search(text: \"\") { __typename } }",
     0,
     {}},
    {"query { order(id: 1) { id } }\nquery Q { order(id: 1) { id } }",
     1,
     {{1, 1, "This anonymous operation must be the only defined operation."}}},
    {"{ order(id: 1) { ...F } }\nfragment F on Order @skip(if: true) { id }",
     1,
     {{2, 21, "Directive \"@skip\" may not be used on FRAGMENT_DEFINITION."}}},
    {"query Q($a: ID @skip(if: true)) { order(id: $a) { id } }",
     2,
     {{1, 16, "Directive \"@skip\" may not be used on VARIABLE_DEFINITION."},
      {1, 9, "Variable \"$a\" of type \"ID\" used in position expecting type \"ID!\"."}}},
    {"{ order(id: 1) { ... @include(if: false) { id } ...F @cached(ttl: 1) } }\nfragment F on Order { total }",
     1,
     {{1, 54, "Directive \"@cached\" may not be used on FRAGMENT_SPREAD."}}},
    {"query Dup { order(id: 1) { id } }\nquery   Dup { orders { id } }",
     1,
     {{1, 7, "There can be only one operation named \"Dup\"."}}},
    {"query A { order(id: 1) { ...F } }\nfragment  F on Order { id }\nfragment F on Order { id }",
     1,
     {{2, 11, "There can be only one fragment named \"F\"."}}},
    {"{ order(id: 1) { id\n    { x } } }",
     1,
     {{2, 5, "Field \"id\" must not have a selection since type \"ID!\" has no subfields."}}},
    {"{ order(id: 1) {\n  customer {\n    name\n  }\n  id(x: \"é😀\") {\n    a\n  }\n} }",
     2,
     {{5, 16, "Field \"id\" must not have a selection since type \"ID!\" has no subfields."},
      {5, 6, "Unknown argument \"x\" on field \"Order.id\"."}}},
    {"{ order(id: 1) { ...   Nope } }",
     1,
     {{1, 24, "Unknown fragment \"Nope\"."}}},
    {"{ __type { name } }",
     1,
     {{1, 3, "Field \"__type\" argument \"name\" of type \"String!\" is required, but it was not provided."}}},
    {"{ __type(name: \"x\", x: 1) { name } }",
     1,
     {{1, 21, "Unknown argument \"x\" on field \"Query.__type\"."}}},
    {"{ orders(first: -2147483649) { id } orders2: orders(first: -2147483648) { id } }",
     1,
     {{1, 17, "Int cannot represent non 32-bit signed integer value: -2147483649"}}},
    {"mutation { placeOrder(input: {sku: \"a\", quantity: null}) { id } }",
     1,
     {{1, 51, "Expected value of type \"Int!\", found null."}}},
    {"{ filter(f: {ids: [], nested: {status: [OPEN, NOPE]}}) { id } }",
     2,
     {{1, 31, "Field \"Filter.ids\" of required type \"[ID!]!\" was not provided."},
      {1, 47, "Value \"NOPE\" does not exist in \"Status\" enum. Did you mean the enum value \"OPEN\"?"}}},
    {"query Q($s: Status = SHIPPED, $f: Filter = {ids: [\"1\"]}, $b: Boolean = 1) { orders(status: $s) { id } filter(f: $f, flag: $b) { id } }",
     1,
     {{1, 72, "Boolean cannot represent a non boolean value: 1"}}},
    {"query Q($a: Boolean!, $b: Int) { order(id: 1) { ...F @include(if: $a) } }\nfragment F on Order { customer { orders(first: $b) { id } } }",
     0,
     {}},
    {"query Q($c: Int) { order(id: 1) { ... @skip(if: $c) { id } } }",
     1,
     {{1, 9, "Variable \"$c\" of type \"Int\" used in position expecting type \"Boolean!\"."}}},
    {"subscription S { ...F }\nfragment F on Subscription { orderUpdated(id: 1) { id } orderDeleted(id: 1) @skip(if: true) }",
     0,
     {}},
    {"{ order(id: 1) { ...A ...B } }\nfragment A on Order { ...B }\nfragment B on Order { ...A ...C }\nfragment C on Order { ...B }",
     2,
     {{2, 23, "Cannot spread fragment \"A\" within itself via \"B\"."},
      {3, 28, "Cannot spread fragment \"B\" within itself via \"C\"."}}},
    {"{ order(id: 1) { customer { ... on Customer { orders { id } } orders(first: 1) { id } } } }",
     1,
     {{1, 47, "Fields \"orders\" conflict because they have differing arguments. Use different aliases on the fields to fetch both if this was intentional."}}},
    {"{ order(id: 1) { items { sku } items { sku: price } } }",
     1,
     {{1, 18, "Fields \"items\" conflict because subfields \"sku\" conflict because \"sku\" and \"price\" are different fields. Use different aliases on the fields to fetch both if this was intentional."}}},
    {"{ order(id: 1) { customer { id: name } } search(text: \"\") { ... on Order { customer { id } } } }",
     0,
     {}},
    {"{ search(text: \"\") { ... on Order { customer { id } } ... on Customer { customer: orders { id } } } }",
     1,
     {{1, 37, "Fields \"customer\" conflict because they return conflicting types \"Customer\" and \"[Order!]!\". Use different aliases on the fields to fetch both if this was intentional."}}},
    {"{ node(id: 1) { ... on Order { items { sku } } ... on Customer { items: orders { id } } } }",
     0,
     {}},
    {"{ named { ... on Pet { name } ... on Named { name: __typename } } }",
     1,
     {{1, 24, "Fields \"name\" conflict because \"name\" and \"__typename\" are different fields. Use different aliases on the fields to fetch both if this was intentional."}}},
    {"query { filter(ratio: 12345678901234567890, when: null, ids: null) { id } }",
     0,
     {}},
    {"{ order(id: \"\"\"block\"\"\") { id } orders(status: true) { id } }",
     1,
     {{1, 48, "Enum \"Status\" cannot represent non-enum value: true."}}},
    {"{ filter(f: {ids: [], nested: {}}) { id } }",
     1,
     {{1, 31, "Field \"Filter.ids\" of required type \"[ID!]!\" was not provided."}}},
    {"query Q($v: [ID!]) { filter(ids: $v, f: {ids: $v}) { id } }",
     1,
     {{1, 9, "Variable \"$v\" of type \"[ID!]\" used in position expecting type \"[ID!]!\"."}}},
    {"query Q($v: [ID]) { filter(ids: $v) { id } }",
     1,
     {{1, 9, "Variable \"$v\" of type \"[ID]\" used in position expecting type \"[ID!]\"."}}},
    {"query Q($v: ID!) { filter(f: {ids: [$v], nested: {ids: $v}}) { id } }",
     1,
     {{1, 9, "Variable \"$v\" of type \"ID!\" used in position expecting type \"[ID!]!\"."}}},
    {"{ nope { a: x a: y } }",
     2,
     {{1, 3, "Cannot query field \"nope\" on type \"Query\". Did you mean \"node\"?"},
      {1, 10, "Fields \"a\" conflict because \"x\" and \"y\" are different fields. Use different aliases on the fields to fetch both if this was intentional."}}},
    {"{ order(id: 1) { ... on Nope { a: x a: y } } }",
     2,
     {{1, 32, "Fields \"a\" conflict because \"x\" and \"y\" are different fields. Use different aliases on the fields to fetch both if this was intentional."},
      {1, 25, "Unknown type \"Nope\". Did you mean \"Node\"?"}}},
    {"fragment F on Nope { id }\n{ order(id: 1) { ...F } }",
     1,
     {{1, 15, "Unknown type \"Nope\". Did you mean \"Node\"?"}}},
    {"{ order(id: 1) { ...F } }\nfragment F on Order { ...G }\nfragment G on Order { id: total }\nfragment H on Order { id }",
     1,
     {{4, 1, "Fragment \"H\" is never used."}}},
    {"{ order(id: 1) { ...F ...G } }\nfragment F on Order { x: id }\nfragment G on Order { x: total }",
     1,
     {{2, 23, "Fields \"x\" conflict because \"id\" and \"total\" are different fields. Use different aliases on the fields to fetch both if this was intentional."}}},
    {"{ order(id: 1) { ...F ...G } }\nfragment F on Order { x: id ...H }\nfragment G on Order { x: id }\nfragment H on Order { x: status }",
     2,
     {{4, 23, "Fields \"x\" conflict because \"status\" and \"id\" are different fields. Use different aliases on the fields to fetch both if this was intentional."},
      {2, 23, "Fields \"x\" conflict because \"id\" and \"status\" are different fields. Use different aliases on the fields to fetch both if this was intentional."}}},
    {"{ order(id: 1) { x: id ...F } search(text: \"\") { ...F } }\nfragment F on Order { x: total }",
     1,
     {{1, 18, "Fields \"x\" conflict because \"id\" and \"total\" are different fields. Use different aliases on the fields to fetch both if this was intentional."}}},
    {"{ node(id: 1) { ... on Order { x: status } ... on Customer { x: name } } }",
     1,
     {{1, 32, "Fields \"x\" conflict because they return conflicting types \"Status!\" and \"String!\". Use different aliases on the fields to fetch both if this was intentional."}}},
    {"{ node(id: 1) { ... on Order { x: items { sku } } ... on Customer { x: name } } }",
     1,
     {{1, 32, "Fields \"x\" conflict because they return conflicting types \"[LineItem!]!\" and \"String!\". Use different aliases on the fields to fetch both if this was intentional."}}},
    {"{ node(id: 1) { ... on Order { x: total } ... on Customer { x: name } } }",
     1,
     {{1, 32, "Fields \"x\" conflict because they return conflicting types \"Float!\" and \"String!\". Use different aliases on the fields to fetch both if this was intentional."}}},
    {"{ node(id: 1) { ... on Order { x: customer { name } } ... on Customer { x: orders { id } } } }",
     1,
     {{1, 32, "Fields \"x\" conflict because they return conflicting types \"Customer\" and \"[Order!]!\". Use different aliases on the fields to fetch both if this was intentional."}}},
    {"{ node(id: 1) { id ... on Node { id: __typename } } }",
     1,
     {{1, 17, "Fields \"id\" conflict because \"id\" and \"__typename\" are different fields. Use different aliases on the fields to fetch both if this was intentional."}}},
    {"{ named { ... on Named { n: name } ... on Pet { n: name } ... on Customer { n: email } } }",
     2,
     {{1, 26, "Fields \"n\" conflict because \"name\" and \"email\" are different fields. Use different aliases on the fields to fetch both if this was intentional."},
      {1, 49, "Fields \"n\" conflict because they return conflicting types \"String!\" and \"String\". Use different aliases on the fields to fetch both if this was intentional."}}},
    {"{ order(id: 1) { customer { a: name } } order(id: 1) { customer { a: email b: id } customer { b: name } } }",
     2,
     {{1, 3, "Fields \"order\" conflict because subfields \"customer\" conflict because subfields \"a\" conflict because \"name\" and \"email\" are different fields. Use different aliases on the fields to fetch both if this was intentional."},
      {1, 56, "Fields \"customer\" conflict because subfields \"b\" conflict because \"id\" and \"name\" are different fields. Use different aliases on the fields to fetch both if this was intentional."}}},
    {"{ a: orders(first: 1) { id } a: orders(first: 2) { id } a: orders(first: 1) { id } }",
     2,
     {{1, 3, "Fields \"a\" conflict because they have differing arguments. Use different aliases on the fields to fetch both if this was intentional."},
      {1, 30, "Fields \"a\" conflict because they have differing arguments. Use different aliases on the fields to fetch both if this was intentional."}}},
    {"query Q($x: Boolean = true) { order(id: 1) { id @skip(if: $x) @include(if: $x) } }",
     0,
     {}},
    {"query Q($x: [[Int]]) { filter(ids: $x) { id } }",
     1,
     {{1, 9, "Variable \"$x\" of type \"[[Int]]\" used in position expecting type \"[ID!]\"."}}},
    {"query Q($x: [ID!]!) { filter(ids: $x) { id } }",
     0,
     {}},
    {"query Q($x: [ID]! = []) { filter(ids: $x) { id } }",
     1,
     {{1, 9, "Variable \"$x\" of type \"[ID]!\" used in position expecting type \"[ID!]\"."}}},
    {"query Q($x: ID = null) { order(id: $x) { id } }",
     1,
     {{1, 9, "Variable \"$x\" of type \"ID\" used in position expecting type \"ID!\"."}}},
    {"query Q($x: ID! = null) { order(id: $x) { id } }",
     1,
     {{1, 19, "Expected value of type \"ID!\", found null."}}},
    {"query Q($x: Status) { orders(status: $x) { id } }",
     0,
     {}},
    {"query Q($x: String) { orders(status: $x) { id } }",
     1,
     {{1, 9, "Variable \"$x\" of type \"String\" used in position expecting type \"Status\"."}}},
    {"query Q($f: Filter!) { filter(f: {ids: [], nested: $f}) { id } }",
     0,
     {}},
    {"query Q($f: OrderInput) { filter(f: $f) { id } }",
     1,
     {{1, 9, "Variable \"$f\" of type \"OrderInput\" used in position expecting type \"Filter\"."}}},
    {"query Q($f: [Status!]) { filter(f: {ids: [], status: $f, nested: {ids: [], status: [$f]}}) { id } }",
     1,
     {{1, 9, "Variable \"$f\" of type \"[Status!]\" used in position expecting type \"Status!\"."}}},
    {"query Q($a: Int, $b: Int) { order(id: 1) { customer { orders(first: $a) { id } } } }\nfragment U on Query { orders(first: $b) { id } }",
     2,
     {{1, 18, "Variable \"$b\" is never used in operation \"Q\"."},
      {2, 1, "Fragment \"U\" is never used."}}},
    {"query Q { ...U }\nfragment U on Query { orders(first: $b) { id } ...V }\nfragment V on Query { orders(first: $c) { id } }",
     3,
     {{2, 37, "Variable \"$b\" is not defined by operation \"Q\"."},
      {3, 37, "Variable \"$c\" is not defined by operation \"Q\"."},
      {2, 23, "Fields \"orders\" conflict because they have differing arguments. Use different aliases on the fields to fetch both if this was intentional."}}},
    {"query { ...F }\nfragment F on Query { ...F }",
     1,
     {{2, 23, "Cannot spread fragment \"F\" within itself."}}},
    {"query { ...F }\nfragment F on Query { order(id: 1) { ...G } }\nfragment G on Order { customer { orders { ...G } } }",
     1,
     {{3, 43, "Cannot spread fragment \"G\" within itself."}}},
    {"{ order(id: 1) { ...G } }\nfragment G on Order { customer { orders { ...G } } }\nfragment H on Order { ...H }",
     3,
     {{2, 43, "Cannot spread fragment \"G\" within itself."},
      {3, 23, "Cannot spread fragment \"H\" within itself."},
      {3, 1, "Fragment \"H\" is never used."}}},
    {"{ order(id: 1) @skip(if: \"true\") { id } }",
     1,
     {{1, 26, "Boolean cannot represent a non boolean value: \"true\""}}},
    {"{ order(id: 1) @skip(if: true, if: false) { id } }",
     1,
     {{1, 22, "There can be only one argument named \"if\"."}}},
    {"{ order(id: 1) @include { id } }",
     1,
     {{1, 16, "Directive \"@include\" argument \"if\" of type \"Boolean!\" is required, but it was not provided."}}},
    {"query @cached(ttl: 1) { order(id: 1) { id } }",
     1,
     {{1, 7, "Directive \"@cached\" may not be used on QUERY."}}},
    {"{ order(id: 1) { ... @cached(ttl: 1) { id } } }",
     1,
     {{1, 22, "Directive \"@cached\" may not be used on INLINE_FRAGMENT."}}},
    {"{ __typename @cached(ttl: \"x\") }",
     1,
     {{1, 27, "Int cannot represent non-integer value: \"x\""}}},
    {"{ order(id: 1) { __typename(x: 1) } }",
     1,
     {{1, 29, "Unknown argument \"x\" on field \"Order.__typename\"."}}},
    {"{ __schema { types { fields(includeDeprecated: 1) { name } } } }",
     1,
     {{1, 48, "Boolean cannot represent a non boolean value: 1"}}},
    {"{ __type(name: \"X\") { ofType { ofType { kind name } } } }",
     0,
     {}},
    {"subscription { __schema { queryType { name } } }",
     2,
     {{1, 16, "Anonymous Subscription must not select an introspection top level field."},
      {1, 16, "Cannot query field \"__schema\" on type \"Subscription\"."}}},
    {"subscription { a: orderDeleted(id: 1) b: orderDeleted(id: 2) }",
     1,
     {{1, 39, "Anonymous Subscription must select only one top level field."}}},
    {"subscription { orderDeleted(id: 1) orderDeleted(id: 1) }",
     0,
     {}},
    {"subscription Sub { ... on Subscription { orderDeleted(id: 1) } ... on Subscription { orderUpdated(id: 1) { id } } }",
     1,
     {{1, 86, "Subscription \"Sub\" must select only one top level field."}}},
    {"subscription { ...F }\nfragment F on Subscription { ...G }\nfragment G on Subscription { __typename }",
     1,
     {{3, 30, "Anonymous Subscription must not select an introspection top level field."}}},
    {"{ filter(f: {ids: [], nested: {ids: [], nested: {ids: [], nested: {idz: []}}}}) { id } }",
     2,
     {{1, 67, "Field \"Filter.ids\" of required type \"[ID!]!\" was not provided."},
      {1, 68, "Field \"idz\" is not defined by type \"Filter\". Did you mean \"ids\"?"}}},
    {"{ filter(f: {}, ratio: -1.5e10, when: [1, {a: $v}]) { id } }",
     2,
     {{1, 13, "Field \"Filter.ids\" of required type \"[ID!]!\" was not provided."},
      {1, 47, "Variable \"$v\" is not defined."}}},
    {"{ orders(first: 0, status: null) { id } x: orders(first: -0) { id } }",
     0,
     {}},
    {"{ orders(first: 2147483647) { id } x: orders(first: 2147483648) { id } y: orders(first: -2147483648) { id } }",
     1,
     {{1, 53, "Int cannot represent non 32-bit signed integer value: 2147483648"}}},
    {"{ filter(flag: TRUE, ratio: true) { id } }",
     2,
     {{1, 16, "Boolean cannot represent a non boolean value: TRUE"},
      {1, 29, "Float cannot represent non numeric value: true"}}},
    {"{ order(id: \"\") { id } x: order(id: -1) { id } y: order(id: [1]) { id } z: order(id: {a: 1}) { id } w: order(id: ONE) { id } }",
     3,
     {{1, 61, "ID cannot represent a non-string and non-integer value: [1]"},
      {1, 86, "ID cannot represent a non-string and non-integer value: {a: 1}"},
      {1, 114, "ID cannot represent a non-string and non-integer value: ONE"}}},
    {"mutation { placeOrder(input: {sku: \"a\", quantity: 1, tags: \"one\"}) { id } notify(channel: null, text: \"x\") }",
     1,
     {{1, 91, "Expected value of type \"String!\", found null."}}},
    {"mutation { placeOrder(input: [{sku: \"a\"}]) { id } }",
     1,
     {{1, 30, "Expected value of type \"OrderInput\", found [{sku: \"a\"}]."}}},
    {"mutation { placeOrder(input: {sku: \"a\", note: {x: 1}}) { id } }",
     1,
     {{1, 47, "String cannot represent a non string value: {x: 1}"}}},
    {"{ orders(status: open) { id } }",
     1,
     {{1, 18, "Value \"open\" does not exist in \"Status\" enum. Did you mean the enum value \"OPEN\"?"}}},
    {"{ orders(status: [OPEN]) { id } }",
     1,
     {{1, 18, "Enum \"Status\" cannot represent non-enum value: [OPEN]. Did you mean the enum value \"OPEN\"?"}}},
    {"query A { order(id: 1) { id } }\nmutation A { notify(channel: \"a\", text: \"b\") }",
     1,
     {{1, 7, "There can be only one operation named \"A\"."}}},
    {"query A { order(id: 1) { id } }\n{ orders { id } }\n{ orders { id } }",
     2,
     {{2, 1, "This anonymous operation must be the only defined operation."},
      {3, 1, "This anonymous operation must be the only defined operation."}}},
    {"{ order(id: 1) { id } }\nfragment F on Order { id }\nfragment F on Customer { id }\nfragment G on Order { ...F }",
     5,
     {{2, 10, "There can be only one fragment named \"F\"."},
      {4, 23, "Fragment \"F\" cannot be spread here as objects of type \"Order\" can never be of type \"Customer\"."},
      {2, 1, "Fragment \"F\" is never used."},
      {3, 1, "Fragment \"F\" is never used."},
      {4, 1, "Fragment \"G\" is never used."}}},
    {"{ order(id: 1) { ... { id } ... @skip(if: false) { total } } }",
     0,
     {}},
    {"{ search(text: \"\") { ... on Node { id } ... on Named { name } } }",
     0,
     {}},
    {"{ named { ... on SearchResult { __typename } ... on Order { id } } }",
     1,
     {{1, 46, "Fragment cannot be spread here as objects of type \"Named\" can never be of type \"Order\"."}}},
    {"{ order(id: 1) { ...on SearchResult { ...on Customer { name } } } }",
     0,
     {}},
    {"{ order(id: 1) { ...N } }\nfragment N on Named { name }",
     1,
     {{1, 18, "Fragment \"N\" cannot be spread here as objects of type \"Order\" can never be of type \"Named\"."}}},
    {"{ orderz: order(id: 1) { id } ordr(id: 1) { id } }",
     1,
     {{1, 31, "Cannot query field \"ordr\" on type \"Query\". Did you mean \"order\" or \"orders\"?"}}},
    {"{ order(ID: 1) { id } }",
     2,
     {{1, 9, "Unknown argument \"ID\" on field \"Query.order\". Did you mean \"id\"?"},
      {1, 3, "Field \"order\" argument \"id\" of type \"ID!\" is required, but it was not provided."}}},
    {"{ order(id: 1) { customer { orders(frist: 1, status: \"PAID\") { id } } } }",
     2,
     {{1, 36, "Unknown argument \"frist\" on field \"Customer.orders\". Did you mean \"first\"?"},
      {1, 54, "Enum \"Status\" cannot represent non-enum value: \"PAID\". Did you mean the enum value \"PAID\"?"}}},
    {"{ Order { id } }",
     1,
     {{1, 3, "Cannot query field \"Order\" on type \"Query\". Did you mean \"order\", \"orders\", or \"node\"?"}}},
    {"query ($v: OrderInpt) { placeOrder(input: $v) { id } }",
     2,
     {{1, 12, "Unknown type \"OrderInpt\". Did you mean \"OrderInput\" or \"Order\"?"},
      {1, 25, "Cannot query field \"placeOrder\" on type \"Query\". Did you mean \"order\"?"}}},
    {"query ($v: Ordr) { orders { id } }",
     2,
     {{1, 12, "Unknown type \"Ordr\". Did you mean \"Order\"?"},
      {1, 8, "Variable \"$v\" is never used."}}},
    {"query ($v: Strin) { orders { id } }",
     2,
     {{1, 12, "Unknown type \"Strin\". Did you mean \"String\"?"},
      {1, 8, "Variable \"$v\" is never used."}}},
    {"\n    query IntrospectionQuery {\n      __schema {\n        \n        queryType { name kind }\n        mutationType { name kind }\n        subscriptionType { name kind }\n        types {\n          ...FullType\n        }\n        directives {\n          name\n          description\n          \n          \n          \n          locations\n          args {\n            ...InputValue\n          }\n        }\n      }\n    }\n\n    fragment FullType on __Type {\n      kind\n      name\n      description\n      \n      \n      fields(includeDeprecated: true) {\n        name\n        description\n        args {\n          ...InputValue\n        }\n        type {\n          ...TypeRef\n        }\n        isDeprecated\n        deprecationReason\n      }\n      inputFields {\n        ...InputValue\n      }\n      interfaces {\n        ...TypeRef\n      }\n      enumValues(includeDeprecated: true) {\n        name\n        description\n        isDeprecated\n        deprecationReason\n      }\n      possibleTypes {\n        ...TypeRef\n      }\n    }\n\n    fragment InputValue on __InputValue {\n      name\n      description\n      type { ...TypeRef }\n      defaultValue\n      \n      \n    }\n\n    fragment TypeRef on __Type {\n      kind\n      name\n      ofType {\n        name\n        kind\n        ofType {\n          name\n          kind\n          ofType {\n            name\n            kind\n            ofType {\n              name\n              kind\n              ofType {\n                name\n                kind\n                ofType {\n                  name\n                  kind\n                  ofType {\n                    name\n                    kind\n                    ofType {\n                      name\n                      kind\n                      ofType {\n                        name\n                        kind\n                      }\n                    }\n                  }\n                }\n              }\n            }\n          }\n        }\n      }\n    }\n  ",
     0,
     {}},
};
/* clang-format on */

static gql_schema *schema;
static pst_arena *arena;
static gql_errors errs;

static void dump(void)
{
    pst_buf b = {0};
    gql_errors_write_json(&errs, &b);
    fprintf(stderr, "  errors: %s\n", pst_buf_cstr(&b));
    pst_buf_free(&b);
}

static pst_status run(const char *q, const gql_validate_limits *lim)
{
    pst_arena_reset(arena);
    gql_errors_init(&errs, arena);
    gql_parse_error pe;
    gql_node *doc = gql_parse_executable(arena, q, strlen(q), NULL, &pe);
    if (!doc) {
        fprintf(stderr, "  parse error: %s\n", pe.message);
        return PST_DECLINED;
    }
    return gql_validate(schema, doc, lim, &errs);
}

static bool has_error(uint32_t line, uint32_t col, const char *msg, const char *code)
{
    for (const gql_error *e = errs.first; e; e = e->next)
        if (e->line == line && e->col == col && strcmp(e->message, msg) == 0 &&
            strcmp(e->code, code) == 0)
            return true;
    return false;
}

static void test_cases(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const vcase *c = &cases[i];
        pst_status st = run(c->query, NULL);
        bool ok = st == (c->n ? PST_ERROR : PST_OK) && errs.count == c->n;
        for (size_t k = 0; k < c->n && k < 5; k++)
            ok = ok && has_error(c->errors[k].line, c->errors[k].col, c->errors[k].message,
                                 "GRAPHQL_VALIDATION_FAILED");
        CHECK(ok);
        if (!ok) {
            fprintf(stderr, "  case %zu: %s\n", i, c->query);
            for (size_t k = 0; k < c->n && k < 5; k++)
                fprintf(stderr, "  want %u:%u %s\n", c->errors[k].line, c->errors[k].col,
                        c->errors[k].message);
            dump();
        }
    }
}

static bool only_error(const char *code, uint32_t line, uint32_t col, const char *msg)
{
    bool ok = errs.count == 1 && has_error(line, col, msg, code);
    if (!ok)
        dump();
    return ok;
}

static void test_limits(void)
{
    const char *q = "{ order(id: 1) { customer { orders { id } } } }";
    gql_validate_limits lim = {4, 0, 0, true};
    CHECK(run(q, &lim) == PST_OK);
    lim.max_depth = 3;
    CHECK(run(q, &lim) == PST_ERROR);
    CHECK(only_error("LIMIT_EXCEEDED", 1, 1,
                     "The operation's depth is 4, more than the limit of 3."));
    /* a fragment's depth counts where it is spread */
    const char *qf = "query Q { order(id: 1) { ...C } }\n"
                     "fragment C on Order { customer { orders { items { sku } } } }";
    lim.max_depth = 5;
    CHECK(run(qf, &lim) == PST_OK);
    lim.max_depth = 4;
    CHECK(run(qf, &lim) == PST_ERROR);
    CHECK(only_error("LIMIT_EXCEEDED", 1, 1,
                     "The operation's depth is 5, more than the limit of 4."));

    const char *qa = "{ a: order(id: 1) { ...F } b: order(id: 2) { ...F } }\n"
                     "fragment F on Order { x: id y: total }";
    gql_validate_limits al = {0, 6, 0, true};
    CHECK(run(qa, &al) == PST_OK);
    al.max_aliases = 5;
    CHECK(run(qa, &al) == PST_ERROR);
    CHECK(only_error("LIMIT_EXCEEDED", 1, 1,
                     "The operation has 6 aliases, more than the limit of 5."));

    const char *qr = "query R { order(id: 1) { id } ...Q ... on Query { __typename } }\n"
                     "fragment Q on Query { orders { id } search(text: \"\") { __typename } }";
    gql_validate_limits rl = {0, 0, 4, true};
    CHECK(run(qr, &rl) == PST_OK);
    rl.max_root_fields = 3;
    CHECK(run(qr, &rl) == PST_ERROR);
    CHECK(only_error("LIMIT_EXCEEDED", 1, 1,
                     "The operation has 4 root fields, more than the limit of 3."));
    /* each operation is measured on its own */
    CHECK(run("query A { order(id: 1) { id } }\nquery B { orders { id } search(text: \"\") { "
              "__typename } order(id: 1) { id } }",
              &rl) == PST_OK);
}

static void test_introspection(void)
{
    const char *q = "{ __schema { queryType { name } } }";
    gql_validate_limits on = {0, 0, 0, true}, off = {0, 0, 0, false};
    CHECK(run(q, &on) == PST_OK);
    CHECK(run(q, NULL) == PST_OK);
    CHECK(run(q, &off) == PST_ERROR);
    CHECK(only_error("GRAPHQL_VALIDATION_FAILED", 1, 3,
                     "GraphQL introspection is not allowed, but the query contained __schema or "
                     "__type"));
    CHECK(run("query { ...I }\nfragment I on Query {\n  __type(name: \"Order\") { name } }",
              &off) == PST_ERROR);
    CHECK(only_error("GRAPHQL_VALIDATION_FAILED", 3, 3,
                     "GraphQL introspection is not allowed, but the query contained __schema or "
                     "__type"));
    CHECK(run("{ __typename order(id: 1) { __typename id } }", &off) == PST_OK);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* CPU time: the host may be busy */
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 100 fragments, each spreading the next twice at different depths (a
 * naive expansion visits 2^100 selections), and 100 fragments side by side
 * with the same fields. */
static void test_fan_out(void)
{
    pst_buf b = {0};
    pst_buf_append_c(&b, "query Chain { order(id: 1) { ...F0 } }\n");
    for (int i = 0; i < 100; i++) {
        pst_buf_appendf(&b, "fragment F%d on Order { id items { sku } customer { orders { ", i);
        if (i < 99)
            pst_buf_appendf(&b, "...F%d } } ...F%d }\n", i + 1, i + 1);
        else
            pst_buf_append_c(&b, "total } } }\n");
    }
    pst_buf_append_c(&b, "query Wide { order(id: 1) { ");
    for (int i = 0; i < 100; i++)
        pst_buf_appendf(&b, "...W%d ", i);
    pst_buf_append_c(&b, "} }\n");
    for (int i = 0; i < 100; i++)
        pst_buf_appendf(&b, "fragment W%d on Order { id customer { name orders { id } } ...F0 }\n",
                        i);
    const char *doc = pst_buf_cstr(&b);
    gql_validate_limits lim = {1000, 1000, 1000, true};
    double t0 = now();
    pst_status st = doc ? run(doc, &lim) : PST_ERROR;
    double took = now() - t0;
    CHECK(st == PST_OK);
    if (st != PST_OK)
        dump();
    CHECK(took < 0.5);
    fprintf(stderr, "  fan-out document (%zu bytes) validated in %.1f ms\n", b.len, took * 1e3);
    /* depth through the chain: 100 fragments nest 3 levels each */
    lim.max_depth = 100;
    CHECK(run(doc, &lim) == PST_ERROR);
    CHECK(errs.count == 2 && strcmp(errs.first->code, "LIMIT_EXCEEDED") == 0);
    pst_buf_free(&b);

    /* 2,100 fields with one name make 2.2 million pairs: graphql-js gives up
     * with "Validation aborted." and so does postern, quickly */
    pst_buf_append_c(&b, "{ order(id: 1) { ");
    for (int i = 0; i < 2100; i++)
        pst_buf_append_c(&b, "id ");
    pst_buf_append_c(&b, "} }");
    t0 = now();
    CHECK(run(pst_buf_cstr(&b), NULL) == PST_ERROR);
    CHECK(only_error("GRAPHQL_VALIDATION_FAILED", 0, 0, "Validation aborted."));
    CHECK(now() - t0 < 0.5);
    pst_buf_free(&b);
}

/* A chain of 5,000 fragments: the walks through fragments are bounded and
 * the document is refused, without deep recursion. */
static void test_deep_chain(void)
{
    pst_buf b = {0};
    pst_buf_append_c(&b, "{ order(id: 1) { ...F0 } }\n");
    for (int i = 0; i < 5000; i++)
        pst_buf_appendf(&b, "fragment F%d on Order { id ...F%d }\n", i, i + 1);
    pst_buf_append_c(&b, "fragment F5000 on Order { id }\n");
    gql_validate_limits lim = {10, 0, 0, true};
    CHECK(run(pst_buf_cstr(&b), &lim) == PST_ERROR);
    bool found = false;
    for (const gql_error *e = errs.first; e; e = e->next)
        found |= strcmp(e->message, "Fragments are nested more than 4096 levels deep.") == 0 &&
                 strcmp(e->code, "LIMIT_EXCEEDED") == 0;
    CHECK(found);
    pst_buf_free(&b);
}

static void test_example_schema(void)
{
    pst_diags d = PST_DIAGS_INIT;
    gql_schema *ex = gql_schema_load_file("config/schema.graphql", &d);
    CHECK(ex != NULL);
    if (!ex) {
        pst_diags_print(&d, stderr);
        pst_diags_free(&d);
        return;
    }
    gql_schema *saved = schema;
    schema = ex;
    CHECK(run("query Q($id: ID!) { order(id: $id) { id status total items { sku quantity price } "
              "customer { id name email } internalCost placedAt ... on Node { id } } "
              "search(text: \"x\") { ... on Order { id } ... on Customer { name } } }",
              NULL) == PST_OK);
    CHECK(run("mutation { placeOrder(input: {sku: \"a\"}) { id } notify(channel: \"c\", text: "
              "\"t\") }",
              NULL) == PST_OK);
    CHECK(run("subscription { orderUpdated(id: 1) { id status } }", NULL) == PST_OK);
    CHECK(run("{ orders(status: LOST) { id } }", NULL) == PST_ERROR);
    CHECK(only_error("GRAPHQL_VALIDATION_FAILED", 1, 18,
                     "Value \"LOST\" does not exist in \"Status\" enum."));
    schema = saved;
    gql_schema_free(ex);

    /* an operation type the schema does not have */
    ex = gql_schema_load("type Query { a: Int @natsRequest(subject: \"a\") }", 48, "x", &d);
    CHECK(ex != NULL);
    schema = ex;
    CHECK(run("mutation M { a }", NULL) == PST_ERROR);
    CHECK(only_error("GRAPHQL_VALIDATION_FAILED", 1, 1,
                     "The mutation operation is not supported by the schema."));
    schema = saved;
    gql_schema_free(ex);
    pst_diags_free(&d);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    pst_buf b = {0};
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        pst_buf_append(&b, chunk, n);
    fclose(f);
    const char *s = pst_buf_cstr(&b);
    char *copy = s ? strdup(s) : NULL;
    pst_buf_free(&b);
    return copy;
}

static int line_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Our errors for the current result as sorted "line:col message" lines in
 * b (one per line); returns how many. */
static size_t our_lines(pst_buf *b)
{
    char *lines[512];
    size_t n = 0;
    for (const gql_error *e = errs.first; e && n < 512; e = e->next) {
        char *l = NULL;
        if (asprintf(&l, "%u:%u %s", e->line, e->col, e->message) < 0)
            break;
        lines[n++] = l;
    }
    qsort(lines, n, sizeof(char *), line_cmp);
    for (size_t i = 0; i < n; i++) {
        pst_buf_appendf(b, "%s\n", lines[i]);
        free(lines[i]);
    }
    return n;
}

/* graphql-js's errors for document i, sorted the same way. */
static void their_lines(char *expected, size_t i, pst_buf *b)
{
    char head[32];
    snprintf(head, sizeof(head), "=== %zu\n", i);
    char *p = strstr(expected, head);
    char *lines[512];
    size_t n = 0;
    for (p = p ? strchr(p, '\n') + 1 : NULL; p && *p && strncmp(p, "=== ", 4) != 0 && n < 512;) {
        char *end = strchr(p, '\n');
        lines[n++] = strndup(p, end ? (size_t)(end - p) : strlen(p));
        p = end ? end + 1 : NULL;
    }
    qsort(lines, n, sizeof(char *), line_cmp);
    for (size_t k = 0; k < n; k++) {
        pst_buf_appendf(b, "%s\n", lines[k]);
        free(lines[k]);
    }
}

/* 241 random documents (made by a throwaway generator over this schema) with the
 * errors graphql-js 16.15 gives for each, compared as sets. */
static void test_random_corpus(void)
{
    char *docs = read_all("tests/unit/graphql/validate_random_cases.txt");
    char *expected = read_all("tests/unit/graphql/validate_random_expected.txt");
    CHECK(docs && expected);
    size_t i = 0, bad = 0;
    for (char *q = docs; q && *q; i++) {
        char *sep = strstr(q, "\n----\n");
        if (sep)
            *sep = 0;
        size_t len = strlen(q);
        while (len && q[len - 1] == '\n')
            q[--len] = 0;
        run(q, NULL);
        pst_buf ours = {0}, theirs = {0};
        our_lines(&ours);
        their_lines(expected, i, &theirs);
        const char *a = pst_buf_cstr(&ours), *b = pst_buf_cstr(&theirs);
        if (!a || !b || strcmp(a, b) != 0) {
            if (bad++ < 3)
                fprintf(stderr, "  document %zu: %s\n  ours:\n%s  graphql-js:\n%s", i, q, a, b);
        }
        pst_buf_free(&ours);
        pst_buf_free(&theirs);
        q = sep ? sep + 6 : NULL;
    }
    CHECK(i == 241);
    CHECK(bad == 0);
    free(docs);
    free(expected);
}

/* One schema shared by threads validating at once: every case gives the
 * same errors as on its own. */
static void *validate_all(void *arg)
{
    long *mismatches = arg;
    pst_arena *a = pst_arena_create(64 * 1024);
    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            pst_arena_reset(a);
            gql_errors e;
            gql_errors_init(&e, a);
            gql_parse_error pe;
            const char *q = cases[i].query;
            gql_node *doc = gql_parse_executable(a, q, strlen(q), NULL, &pe);
            pst_status st = doc ? gql_validate(schema, doc, NULL, &e) : PST_DECLINED;
            if (st != (cases[i].n ? PST_ERROR : PST_OK) || e.count != cases[i].n)
                (*mismatches)++;
        }
    pst_arena_destroy(a);
    return NULL;
}

static void test_threads(void)
{
    pthread_t t[4];
    long mismatches[4] = {0, 0, 0, 0};
    for (int i = 0; i < 4; i++)
        CHECK(pthread_create(&t[i], NULL, validate_all, &mismatches[i]) == 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK(mismatches[i] == 0);
    }
}

/* Every allocation failure during validation is an error, never a crash. */
static void test_out_of_memory(void)
{
    const char *q = "query Q($id: ID!, $u: Int) { order(id: $id) { ...F nope } x: order(id: 1) { "
                    "id: total } }\nfragment F on Order { id customer { name } }";
    int failures = 0;
    for (long n = 1; n < 400; n++) {
        pst_arena *a = pst_arena_create(512);
        gql_errors e;
        gql_errors_init(&e, a);
        gql_parse_error pe;
        gql_node *doc = gql_parse_executable(a, q, strlen(q), NULL, &pe);
        pst_mem_fail_at(n);
        pst_status st = doc ? gql_validate(schema, doc, NULL, &e) : PST_ERROR;
        pst_mem_fail_at(0);
        failures += st != PST_ERROR;
        pst_arena_destroy(a);
    }
    CHECK(failures == 0);
    /* and while loading a schema */
    for (long n = 1; n < 3000; n += 7) {
        pst_diags d = PST_DIAGS_INIT;
        pst_mem_fail_at(n);
        gql_schema *s = gql_schema_load(test_sdl, strlen(test_sdl), "t", &d);
        pst_mem_fail_at(0);
        CHECK(s != NULL || d.count > 0);
        gql_schema_free(s);
        pst_diags_free(&d);
    }
}

int main(void)
{
    pst_diags d = PST_DIAGS_INIT;
    schema = gql_schema_load(test_sdl, strlen(test_sdl), "test.graphql", &d);
    CHECK(schema != NULL);
    if (!schema) {
        pst_diags_print(&d, stderr);
        pst_diags_free(&d);
        TEST_END();
    }
    arena = pst_arena_create(64 * 1024);
    test_cases();
    test_random_corpus();
    test_limits();
    test_introspection();
    test_fan_out();
    test_deep_chain();
    test_example_schema();
    test_out_of_memory();
    test_threads();
    pst_arena_destroy(arena);
    gql_schema_free(schema);
    TEST_END();
}

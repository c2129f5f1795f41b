*** Settings ***
Documentation     Reading and searching: by id, each filter alone and combined, price bounds,
...               sorting, pages and full text. The suite's seller owns a small catalogue that
...               every search is scoped to, so other tests' listings never interfere.

Resource          ../../keywords/api.resource
Resource          ../../keywords/cast.resource
Resource          ../../keywords/database.resource
Resource          ../../keywords/listings.resource
Resource          ../../keywords/search.resource

Suite Setup       Create Catalogue
Suite Teardown    Disconnect From Api Database

Test Tags         marketplace    listings    search


*** Test Cases ***
A Listing Is Read By Id With Its Version As ETag
    [Documentation]    Anyone may read an active listing; the ETag is what a later update must send.
    [Tags]    smoke
    ${response} =    Read Listing As    ${NOBODY}    ${CATALOGUE}[a]
    Dictionaries Should Be Equal    ${response.json()}    ${CATALOGUE}[a]
    Should Be Equal    ${response.headers}[ETag]    "2"

Unknown And Malformed Ids Are Not Found
    [Documentation]    Any id that names no listing is a 404 problem, never a 500.
    [Template]    Listing Id Should Not Be Found
    ${{str(uuid.uuid4())}}
    not-a-uuid
    12345
    ' OR 1=1 --
    ${{"f" * 300}}
    ${{str(uuid.uuid4()).upper() + "0"}}

Each Filter Alone Narrows The Catalogue
    [Documentation]    Every filter works on its own; pending and suspended listings never appear.
    [Template]    Catalogue Search Should Return
    a b c d e
    a b    commodity=gold
    a d    country=ZA
    e    currency=EUR
    b d e    min_price=175000
    a c    max_price=100000
    a e    q=${WORD_1}

Filters Combine
    [Documentation]    Filters are ANDed together.
    [Template]    Catalogue Search Should Return
    a    commodity=gold    country=ZA
    d    commodity=copper    currency=ZAR
    a b    currency=USD    min_price=60000    max_price=250000
    e    q=${WORD_1}    commodity=cobalt
    a    q=${WORD_1}    country=ZA    currency=USD    max_price=100000
    ${EMPTY}    commodity=tin
    ${EMPTY}    commodity=gold    country=ZM

Price Bounds Are Inclusive
    [Documentation]    min_price and max_price include a listing priced exactly at the bound.
    [Template]    Catalogue Search Should Return
    b d    min_price=250000
    d    min_price=250001
    c    max_price=50000
    ${EMPTY}    max_price=49999
    a    min_price=100000    max_price=100000
    ${EMPTY}    min_price=100001    max_price=174999

A Repeated Filter Counts Its Last Value
    [Documentation]    Query strings built by appending keep working: the last value of a filter wins.
    [Template]    Catalogue Search Should Return
    d    min_price=${{["1", "5", "250001"]}}
    a c    max_price=${{["999999999", "1", "100000"]}}
    a b    commodity=${{["copper", "tin", "gold"]}}

Results Are Sorted As Asked
    [Documentation]    Newest first unless a price order is asked for.
    [Template]    Catalogue Order Should Be
    e d c b a
    e d c b a    sort=newest
    c a e b d    sort=price_asc
    d b e a c    sort=price_desc
    a b    sort=price_asc    commodity=gold

Pages Hold The Right Items And The Total
    [Documentation]    Every page reports the same total; past the end it is empty but still counts.
    [Template]    Catalogue Page Should Be
    e d    5    per_page=2
    c b    5    per_page=2    page=2
    a    5    per_page=2    page=3
    ${EMPTY}    5    per_page=2    page=4
    ${EMPTY}    5    per_page=100    page=100000
    e d c b a    5    per_page=100
    ${EMPTY}    0    commodity=tin    page=3

Bad Paging Is Refused
    [Documentation]    Out-of-range pages and page sizes, and unknown sorts, are 422, never ignored.
    [Tags]    validation
    [Template]    Search Should Be Refused
    per_page=101
    per_page=0
    page=0
    page=-1
    page=100001
    page=two
    page=²
    sort=cheapest

Bad Filters Are Refused
    [Documentation]    Unknown parameters and impossible filter values are 422, never ignored.
    [Tags]    validation
    [Template]    Search Should Be Refused
    colour=red
    min_price=-1
    min_price=10    max_price=9
    seller_id=not-a-uuid
    q=${EMPTY}
    commodity=unobtanium
    currency=usd
    country=zaf

Full Text Searches Title And Description
    [Documentation]    q finds words in the title or the description, alone or with web-search syntax.
    [Template]    Full Text Search Should Return
    a e    ${WORD_1}
    c e    ${WORD_2}
    e    ${WORD_1} ${WORD_2}
    a c e    ${WORD_1} or ${WORD_2}
    a    ${WORD_1} -${WORD_2}
    a    "dore bars ${WORD_1}"

The Seller Filter Shows One Seller's Active Listings
    [Documentation]    Buyers can browse one seller's offer, and see nothing of another's.
    ${ids} =    Search Listing Ids    seller_id=${SELLER}[id]
    ${expected} =    Catalogue Ids    a b c d e
    Lists Should Be Equal    ${ids}    ${expected}    ignore_order=${TRUE}
    ${none} =    Search Listing Ids    seller_id=${OTHER_SELLER}[id]
    Should Be Empty    ${none}

Following Cursors Reaches The Whole Catalogue Once In Order
    [Documentation]    Keyset pages neither skip nor repeat a listing, in every sort: deep pages stay cheap.
    [Template]    Cursor Walk Should Give
    e d c b a    sort=newest
    c a e b d    sort=price_asc
    d b e a c    sort=price_desc
    a b    sort=price_asc    commodity=gold

A Cursor Is Only Taken In The Order That Made It
    [Documentation]    Reused under another sort a position would skip listings, so it is refused.
    ${page} =    Search Listings    seller_id=${SELLER}[id]    per_page=1    sort=price_asc
    Search Should Be Refused    seller_id=${SELLER}[id]    sort=newest    cursor=${page}[next_cursor]
    Search Should Be Refused    seller_id=${SELLER}[id]    sort=price_asc    cursor=${page}[next_cursor]
    ...    page=2

A Cursor The API Did Not Write Or That Was Changed Is Refused
    [Documentation]    Cursors are signed: an edited position could walk a page the client was never given.
    [Tags]    security
    ${page} =    Search Listings    seller_id=${SELLER}[id]    per_page=1    sort=price_asc
    Search With A Foreign Cursor Should Be Malformed    bm90LWEtY3Vyc29y
    Search With A Foreign Cursor Should Be Malformed    ${page}[next_cursor][:-2]AA

A Client With The Current Version Is Not Sent The Listing Again
    [Documentation]    Revalidation costs a 304 without a body, so public reads stay cheap to repeat.
    [Tags]    smoke
    ${etag} =    ETag Seen By    ${NOBODY}    ${CATALOGUE}[a]
    Listing Should Not Be Sent Again    ${CATALOGUE}[a]    ${etag}
    ${page_etag} =    Search ETag    seller_id=${SELLER}[id]
    Search Should Not Be Sent Again    ${page_etag}    seller_id=${SELLER}[id]


*** Keywords ***
Create Catalogue
    [Documentation]    Five active listings of the suite's seller, plus a pending and a suspended one.
    Register The Cast
    ${word_1} =    Unique Word
    ${word_2} =    Unique Word
    # robocop: off=VAR05
    # The catalogue is read-only for every test, so the suite builds it once.
    VAR    ${WORD_1} =    ${word_1}    scope=SUITE
    VAR    ${WORD_2} =    ${word_2}    scope=SUITE
    ${catalogue} =    Create Active Listings
    VAR    &{CATALOGUE} =    &{catalogue}    scope=SUITE
    Create Hidden Listings
    Listings Of Seller In Database Should Be    ${SELLER}    7

Create Active Listings
    [Documentation]    Listings a to e: distinct commodities, countries, currencies, prices and words.
    ${a} =    Create Approved Listing    ${SELLER}    ${ADMIN}    title=Gold dore bars ${WORD_1}
    ...    commodity=gold    country=ZA    currency=USD    price_per_unit=${100000}
    ${b} =    Create Approved Listing    ${SELLER}    ${ADMIN}    commodity=gold    country=GH
    ...    currency=USD    price_per_unit=${250000}
    ${c} =    Create Approved Listing    ${SELLER}    ${ADMIN}    commodity=copper    country=ZM
    ...    currency=USD    price_per_unit=${50000}    description=Copper cathode, grade A. ${WORD_2}.
    ${d} =    Create Approved Listing    ${SELLER}    ${ADMIN}    commodity=copper    country=ZA
    ...    currency=ZAR    price_per_unit=${260000}
    ${e} =    Create Approved Listing    ${SELLER}    ${ADMIN}    title=Cobalt hydroxide ${WORD_1}
    ...    commodity=cobalt    country=CD    currency=EUR    price_per_unit=${175000}
    ...    description=Hydroxide, ${WORD_2} quality.
    VAR    &{catalogue} =    a=${a}    b=${b}    c=${c}    d=${d}    e=${e}
    RETURN    ${catalogue}

Create Hidden Listings
    [Documentation]    A pending and a suspended listing that match the catalogue's searches.
    Create Listing As    ${SELLER}    title=Pending gold ${WORD_1}    commodity=gold    country=ZA
    ${suspended} =    Create Approved Listing    ${SELLER}    ${ADMIN}    title=Suspended gold ${WORD_1}
    ...    commodity=gold    country=ZA    currency=USD    price_per_unit=${100000}
    Suspend Listing As    ${ADMIN}    ${suspended}    Under investigation

Catalogue Ids
    [Documentation]    The ids of the catalogue listings named in `names` (letters separated by spaces).
    [Arguments]    ${names}
    ${ids} =    Evaluate    [listing["id"] for listing in map($CATALOGUE.get, $names.split())]
    RETURN    ${ids}

Catalogue Search Should Return
    [Documentation]    A search of the catalogue with `filters` returns exactly the listings `names`.
    [Arguments]    ${names}    &{filters}
    ${ids} =    Search Listing Ids    seller_id=${SELLER}[id]    &{filters}
    ${expected} =    Catalogue Ids    ${names}
    Lists Should Be Equal    ${ids}    ${expected}    ignore_order=${TRUE}

Catalogue Order Should Be
    [Documentation]    A search of the catalogue with `filters` returns the listings `names` in that order.
    [Arguments]    ${names}    &{filters}
    ${ids} =    Search Listing Ids    seller_id=${SELLER}[id]    &{filters}
    ${expected} =    Catalogue Ids    ${names}
    Lists Should Be Equal    ${ids}    ${expected}

Catalogue Page Should Be
    [Documentation]    One page of the catalogue holds `names` in order, and counts `total` in all.
    [Arguments]    ${names}    ${total}    &{filters}
    ${page} =    Search Listings    seller_id=${SELLER}[id]    &{filters}
    ${ids} =    Evaluate    [item["id"] for item in $page["items"]]
    ${expected} =    Catalogue Ids    ${names}
    Lists Should Be Equal    ${ids}    ${expected}
    Should Be Equal As Integers    ${page}[total]    ${total}
    Should Be Equal As Integers    ${page}[page]    ${filters.get("page", 1)}

Full Text Search Should Return
    [Documentation]    A search for `query` alone, over every seller, returns exactly the listings `names`.
    [Arguments]    ${names}    ${query}
    ${ids} =    Search Listing Ids    q=${query}
    ${expected} =    Catalogue Ids    ${names}
    Lists Should Be Equal    ${ids}    ${expected}    ignore_order=${TRUE}

Listing Id Should Not Be Found
    [Documentation]    Reading a listing with id `id` is a 404 problem.
    [Arguments]    ${id}
    VAR    &{unknown} =    id=${id}
    ${response} =    Read Listing As    ${NOBODY}    ${unknown}    expected_status=404
    Problem Should Be    ${response}    404

Cursor Walk Should Give
    [Documentation]    Following `next_cursor` one listing at a time gives the listings `names` in that order.
    [Arguments]    ${names}    &{filters}
    ${page} =    Search Listings    seller_id=${SELLER}[id]    per_page=1    &{filters}
    ${ids} =    Evaluate    [item["id"] for item in $page["items"]]
    WHILE    $page["next_cursor"] is not None    limit=20
        ${page} =    Search Listings    seller_id=${SELLER}[id]    per_page=1    &{filters}
        ...    cursor=${page}[next_cursor]
        Should Be Equal    ${page}[page]    ${NONE}
        ${ids} =    Evaluate    $ids + [item["id"] for item in $page["items"]]
    END
    ${expected} =    Catalogue Ids    ${names}
    Lists Should Be Equal    ${ids}    ${expected}

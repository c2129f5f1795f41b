*** Settings ***
Documentation     Updating listings: partial changes, versions as ETags, lost-update protection,
...               and a history of every change.

Resource          ../../keywords/api.resource
Resource          ../../keywords/cast.resource
Resource          ../../keywords/database.resource
Resource          ../../keywords/listings.resource

Suite Setup       Register The Cast
Suite Teardown    Disconnect From Api Database

Test Tags         marketplace    listings    updates    db


*** Test Cases ***
A Partial Update Changes Only The Given Fields
    [Documentation]    Fields left out keep their values; the version moves on.
    [Tags]    smoke
    ${listing} =    Create Listing As    ${SELLER}    location=Kolwezi
    ${response} =    Update Listing As    ${SELLER}    ${listing}    price_per_unit=${3100000}    grade=Battery grade
    Should Be Equal    ${response.json()}[price_per_unit]    ${3100000}
    Should Be Equal    ${response.json()}[title]    ${listing}[title]
    Listing Should Be Persisted    ${listing}    price_per_unit=3100000    grade=Battery grade
    ...    title=${listing}[title]    location=Kolwezi    quantity=12.500    status=pending_review    version=2

A Field Can Be Cleared
    [Documentation]    Optional fields go back to empty with null.
    ${listing} =    Create Listing As    ${SELLER}    grade=A
    Update Listing As    ${SELLER}    ${listing}    grade=${NONE}
    Listing Should Be Persisted    ${listing}    grade=None    version=2

Every Change Gets A New ETag
    [Documentation]    The ETag names the version, so clients can tell a stale copy.
    ${listing} =    Create Listing As    ${SELLER}
    ${before} =    ETag Seen By    ${SELLER}    ${listing}
    ${response} =    Update Listing As    ${SELLER}    ${listing}    etag=${before}    title=Renamed lot
    Should Be Equal    ${response.headers}[ETag]    "2"
    ${after} =    ETag Seen By    ${SELLER}    ${listing}
    Should Be Equal    ${after}    "2"
    Listing Should Be Persisted    ${listing}    title=Renamed lot    version=2

A Stale If-Match Is Refused And Changes Nothing
    [Documentation]    An update based on an old copy must not silently overwrite a newer one.
    [Tags]    concurrency
    ${listing} =    Create Listing As    ${SELLER}
    Update Listing As    ${SELLER}    ${listing}    etag="1"    title=First edit
    ${response} =    Update Listing As
    ...    ${SELLER}
    ...    ${listing}
    ...    etag="1"
    ...    expected_status=412
    ...    title=Second edit
    Problem Should Be    ${response}    412    precondition_failed
    Listing Should Be Persisted    ${listing}    title=First edit    version=2
    History Should Be Recorded    ${listing}    create    update

Without If-Match The Last Writer Wins
    [Documentation]    If-Match is optional: clients that do not send it get plain, still atomic, writes.
    ${listing} =    Create Listing As    ${SELLER}
    Update Listing As    ${SELLER}    ${listing}    title=First writer
    Update Listing As    ${SELLER}    ${listing}    title=Second writer
    Listing Should Be Persisted    ${listing}    title=Second writer    version=3
    History Should Be Recorded    ${listing}    create    update    update

Concurrent Updates With One ETag Have One Winner
    [Documentation]    Of several writers holding the same version, exactly one succeeds, once.
    [Tags]    concurrency
    ${listing} =    Create Listing As    ${SELLER}
    ${statuses} =    Update Listing Concurrently As
    ...    ${SELLER}
    ...    ${listing}
    ...    "1"
    ...    count=5
    ...    price_per_unit=${1234}
    Should Be Equal    ${statuses}    ${{[200, 412, 412, 412, 412]}}
    Listing Should Be Persisted    ${listing}    price_per_unit=1234    version=2
    History Should Be Recorded    ${listing}    create    update

History Records Who Changed What And When
    [Documentation]    Disputes are settled by the history: author, time, fields, old and new values.
    ${listing} =    Create Listing As    ${SELLER}
    Update Listing As    ${SELLER}    ${listing}    price_per_unit=${2600000}
    Update Listing As    ${ADMIN}    ${listing}    title=Cobalt hydroxide, corrected
    ${history} =    Listing History As    ${SELLER}    ${listing}
    Change Should Be    ${history}[1]    update    ${SELLER}
    Change Should Set    ${history}[1]    price_per_unit    ${2500000}    ${2600000}
    Change Should Be    ${history}[2]    update    ${ADMIN}
    Change Should Set    ${history}[2]    title    ${listing}[title]    Cobalt hydroxide, corrected
    Dictionary Should Not Contain Key    ${history}[1][changes]    title
    History Should Be Recorded    ${listing}    create    update    update

Protected Fields Cannot Be Changed
    [Documentation]    The owner, status and stock are not the seller's to edit.
    [Tags]    security    validation
    [Template]    Update Should Be Refused
    seller_id    ${{str(uuid.uuid4())}}
    status    active
    available_quantity    ${1}
    version    ${9}
    id    ${{str(uuid.uuid4())}}
    created_at    2020-01-01T00:00:00Z

Invalid Changes Are Refused And Change Nothing
    [Documentation]    An update is validated like a new listing, field by field.
    [Tags]    validation
    [Template]    Update Should Be Refused
    quantity    ${0}
    quantity    1.2345
    price_per_unit    ${-1}
    commodity    unobtanium
    unit    lb
    currency    XYZ
    title    ${SPACE}
    title    ${NONE}

An Empty Update Is Refused
    [Documentation]    A PATCH with nothing in it is a client error, not a silent success.
    [Tags]    validation
    ${listing} =    Create Listing As    ${SELLER}
    ${response} =    Update Listing As    ${SELLER}    ${listing}    expected_status=422
    Problem Should Be    ${response}    422    validation_error
    Listing Should Be Persisted    ${listing}    version=1

An Update That Changes Nothing Keeps The Version
    [Documentation]    Re-sending the same values is not a change: no new ETag, no history entry.
    ${listing} =    Create Listing As    ${SELLER}
    ${response} =    Update Listing As
    ...    ${SELLER}
    ...    ${listing}
    ...    etag="1"
    ...    title=${listing}[title]
    ...    quantity=${12.5}
    Should Be Equal    ${response.headers}[ETag]    "1"
    Listing Should Be Persisted    ${listing}    version=1
    History Should Be Recorded    ${listing}    create

A New Quantity Keeps What Was Sold
    [Documentation]    Restocking moves the available quantity by as much; going below what is sold is refused.
    ${listing} =    Create Listing As    ${SELLER}    quantity=10
    Record Sale Of    ${listing}    4
    Update Listing As    ${SELLER}    ${listing}    quantity=20
    # Version 2 is the sale: every change to a listing row moves its version, a sale too.
    Listing Should Be Persisted    ${listing}    quantity=20.000    available_quantity=16.000    version=3
    ${response} =    Update Listing As    ${SELLER}    ${listing}    expected_status=409    quantity=3
    Problem Should Be    ${response}    409    quantity_below_sold
    Listing Should Be Persisted    ${listing}    quantity=20.000    available_quantity=16.000    version=3

An Approved Listing Renamed Or Recategorised Goes Back To Review
    [Documentation]    An approval vouches for what is sold: another title or commodity needs an admin again.
    [Tags]    moderation    security
    [Template]    Edit Of An Approved Listing Should Leave It
    title    Gold dore bars    pending_review
    commodity    gold    pending_review
    price_per_unit    ${3100000}    active
    description    Bagged, stored in Kolwezi.    active


*** Keywords ***
Update Should Be Refused
    [Documentation]    Setting `field` to `value` on a fresh listing is a 422 naming it; the row is unchanged.
    [Arguments]    ${field}    ${value}
    ${listing} =    Create Listing As    ${SELLER}
    ${response} =    Update Listing As    ${SELLER}    ${listing}    expected_status=422    ${field}=${value}
    ${problem} =    Problem Should Be    ${response}    422    validation_error
    Problem Should Name Field    ${problem}    ${field}
    Listing Should Be Persisted    ${listing}    version=1    status=pending_review    title=${listing}[title]
    ...    seller_id=${SELLER}[id]    available_quantity=12.500

Edit Of An Approved Listing Should Leave It
    [Documentation]    `SELLER` sets `field` to `value` on an approved listing, which is then `status`.
    [Arguments]    ${field}    ${value}    ${status}
    ${listing} =    Create Approved Listing    ${SELLER}    ${ADMIN}
    Update Listing As    ${SELLER}    ${listing}    ${field}=${value}
    Listing Should Be Persisted    ${listing}    status=${status}

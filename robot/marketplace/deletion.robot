*** Settings ***
Documentation     Deleting listings: erased with their photos, unless payments refer to them,
...               in which case they are archived so the books stay whole.

Resource          ../../keywords/api.resource
Resource          ../../keywords/audit.resource
Resource          ../../keywords/cast.resource
Resource          ../../keywords/database.resource
Resource          ../../keywords/listings.resource
Resource          ../../keywords/photos.resource
Resource          ../../keywords/purchases.resource
Resource          ../../keywords/search.resource

Suite Setup       Register The Cast
Suite Teardown    Disconnect From Api Database

Test Tags         marketplace    listings    deletion    db


*** Test Cases ***
A Deleted Listing Is Erased With Its Photos
    [Documentation]    Nothing of a deleted listing remains but the audit entry.
    [Tags]    smoke
    ${listing} =    Create Approved Listing    ${SELLER}    ${ADMIN}    commodity=nickel
    Upload Photos As    ${SELLER}    ${listing}    2
    Delete Listing As    ${SELLER}    ${listing}
    Listing Should Not Exist In Database    ${listing}
    Photos In Database Should Be    ${listing}    0
    History Should Be Recorded    ${listing}
    Audit Should Record    listing.delete    ${listing}    by=${SELLER}
    Listing Should Be Hidden From    ${SELLER}    ${listing}
    Search Should Not Find    ${listing}    seller_id=${SELLER}[id]    commodity=nickel

A Deleted Listing Cannot Be Deleted Again
    [Documentation]    The second delete finds nothing.
    ${listing} =    Create Listing As    ${SELLER}
    Delete Listing As    ${SELLER}    ${listing}
    ${response} =    Delete Listing As    ${SELLER}    ${listing}    expected_status=404
    Problem Should Be    ${response}    404    listing_not_found
    Listing Should Not Exist In Database    ${listing}

A Listing With Payments Is Archived Instead Of Erased
    [Documentation]    Payments keep pointing at what was bought; the listing leaves the market but stays.
    [Tags]    smoke    payments
    ${listing} =    Create Approved Listing    ${SELLER}    ${ADMIN}    commodity=zinc    quantity=10
    Upload Photos As    ${SELLER}    ${listing}    2
    Buy Listing With Stripe    ${BUYER}    ${listing}    1
    Delete Listing As    ${SELLER}    ${listing}
    Listing Should Be Persisted    ${listing}    status=archived
    Payments For Listing Should Be    ${listing}    1
    Photos In Database Should Be    ${listing}    0
    History Should Be Recorded    ${listing}    create    approve    photo_add    photo_add    archive
    Audit Should Record    listing.delete    ${listing}    by=${SELLER}
    Search Should Not Find    ${listing}    seller_id=${SELLER}[id]    commodity=zinc

An Archived Listing Stays Visible To Admins But Cannot Change
    [Documentation]    Admins can still look it up for disputes; nobody can edit or revive it.
    [Tags]    payments
    ${listing} =    Create Approved Listing    ${SELLER}    ${ADMIN}
    Buy Listing With Stripe    ${BUYER}    ${listing}    1
    Delete Listing As    ${SELLER}    ${listing}
    ${seen} =    Read Listing As    ${ADMIN}    ${listing}
    Should Be Equal    ${seen.json()}[status]    archived
    ${response} =    Update Listing As    ${ADMIN}    ${listing}    expected_status=409    title=Revived
    Problem Should Be    ${response}    409    listing_archived
    Moderate Listing As    ${ADMIN}    approve    ${listing}    expected_status=409
    Listing Should Be Persisted    ${listing}    status=archived    title=${listing}[title]

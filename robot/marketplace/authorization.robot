*** Settings ***
Documentation     Who may do what to a listing: sellers own theirs, admins may do everything,
...               buyers and strangers are refused, and hidden listings stay hidden.

Resource          ../../keywords/listings.resource

Suite Setup       Create Marketplace Cast
Suite Teardown    Disconnect From Api Database

Test Tags         marketplace    listings    security    authorization    db


*** Test Cases ***
Buyers Cannot Create Listings
    [Documentation]    Only sellers (and admins) offer minerals.
    ${body} =    Listing Payload
    Listing Creation Should Be Refused    ${BUYER}    ${body}    403    forbidden
    Listings Titled In Database Should Be    ${body}[title]    0

Anonymous Callers Cannot Create Listings
    [Documentation]    Every listing has an accountable owner.
    ${body} =    Listing Payload
    Listing Creation Should Be Refused    ${NOBODY}    ${body}    401    missing_token
    Listings Titled In Database Should Be    ${body}[title]    0

Others Cannot Update Or Delete A Seller's Active Listing
    [Documentation]    A public listing may be read by anyone but changed only by its owner or an admin.
    [Template]    Change By Another Should Be Refused
    update    ${OTHER_SELLER}    403
    update    ${BUYER}    403
    update    ${NOBODY}    401
    delete    ${OTHER_SELLER}    403
    delete    ${BUYER}    403
    delete    ${NOBODY}    401

Others Cannot Touch The Photos Or History Of A Seller's Listing
    [Documentation]    Photos and the change history belong to the owner and admins.
    [Template]    Change By Another Should Be Refused
    upload    ${OTHER_SELLER}    403
    upload    ${BUYER}    403
    upload    ${NOBODY}    401
    delete photo    ${OTHER_SELLER}    403
    delete photo    ${NOBODY}    401
    history    ${OTHER_SELLER}    403
    history    ${BUYER}    403
    history    ${NOBODY}    401

Another Seller Cannot Even See A Pending Listing
    [Documentation]    Whatever another seller tries on a listing under review, it does not exist for them.
    [Template]    Change By Another Should Be Refused
    read    ${OTHER_SELLER}    404    pending
    update    ${OTHER_SELLER}    404    pending
    delete    ${OTHER_SELLER}    404    pending
    upload    ${OTHER_SELLER}    404    pending
    delete photo    ${OTHER_SELLER}    404    pending
    history    ${OTHER_SELLER}    404    pending
    read    ${BUYER}    404    pending
    read    ${NOBODY}    404    pending

An Admin Can Edit Any Listing And Its Photos
    [Documentation]    Admins correct listings that are not theirs, and the history says who did.
    [Tags]    smoke
    ${listing} =    Create Listing As    ${SELLER}
    Update Listing    ${listing}    ${ADMIN}    title=Corrected by the admin
    Listing Should Be Persisted    ${listing}    title=Corrected by the admin    version=2
    ${png} =    Photo Bytes    png
    ${photo} =    Upload Photo    ${listing}    ${ADMIN}    ${png}    image/png
    Photos In Database Should Be    ${listing}    1
    Delete Photo    ${photo.json()}    ${ADMIN}
    Photos In Database Should Be    ${listing}    0
    ${history} =    Listing History    ${listing}    ${ADMIN}
    Change Should Be    ${history}[1]    update    ${ADMIN}

An Admin Can Read And Delete Any Listing
    [Documentation]    Admins see listings under review and remove what must go.
    ${listing} =    Create Listing As    ${SELLER}
    ${seen} =    Get Listing    ${listing}    as=${ADMIN}
    Should Be Equal    ${seen.json()}[status]    pending_review
    Delete Listing    ${listing}    ${ADMIN}
    Listing Should Not Exist In Database    ${listing}
    Audit Should Be Recorded    listing.delete    ${listing}    ${ADMIN}

The Owner Can Do Everything To Their Own Listing
    [Documentation]    The seller manages the whole life of their listing without an admin.
    [Tags]    smoke
    ${listing} =    Create Approved Listing    ${SELLER}    ${ADMIN}
    Update Listing    ${listing}    ${SELLER}    grade=Battery grade
    Listing Should Be Persisted    ${listing}    grade=Battery grade    version=3
    ${webp} =    Photo Bytes    webp
    Upload Photo    ${listing}    ${SELLER}    ${webp}    image/webp
    Photos In Database Should Be    ${listing}    1
    Delete Listing    ${listing}    ${SELLER}
    Listing Should Not Exist In Database    ${listing}
    Photos In Database Should Be    ${listing}    0

A Bad Token Is Refused Even Where Anonymous Reading Is Allowed
    [Documentation]    A credential that is sent is checked, so a forged one never passes as anonymous.
    ${listing} =    Create Approved Listing    ${SELLER}    ${ADMIN}
    VAR    &{forged} =    access_token=not.a.jwt
    ${response} =    Get Listing    ${listing}    as=${forged}    expected_status=401
    Problem Should Be    ${response}    401    invalid_token


*** Keywords ***
Change By Another Should Be Refused
    [Documentation]    `actor` trying `action` on a fresh listing with a photo gets `status`; nothing changes.
    [Arguments]    ${action}    ${actor}    ${status}    ${state}=active
    ${listing} =    Create Listing As    ${SELLER}
    ${png} =    Photo Bytes    png
    ${photo} =    Upload Photo    ${listing}    ${SELLER}    ${png}    image/png
    IF    $state == "active"    Approve Listing As    ${ADMIN}    ${listing}
    ${current} =    Get Listing    ${listing}    as=${SELLER}
    VAR    ${listing} =    ${current.json()}
    ${response} =    Attempt    ${action}    ${listing}    ${photo.json()}    ${actor}
    Problem Should Be    ${response}    ${status}
    Listing Should Be Persisted    ${listing}    status=${listing}[status]    version=${listing}[version]
    ...    title=${listing}[title]
    Photo Should Be Persisted    ${photo.json()}    ${png}    image/png

Attempt
    [Documentation]    `actor` tries `action` on `listing` (or its `photo`); returns the response.
    [Arguments]    ${action}    ${listing}    ${photo}    ${actor}
    IF    $action == "read"
        ${response} =    Get Listing    ${listing}    as=${actor}    expected_status=any
    ELSE IF    $action == "update"
        ${response} =    Update Listing    ${listing}    ${actor}    expected_status=any    title=Taken over
    ELSE IF    $action == "delete"
        ${response} =    Delete Listing    ${listing}    ${actor}    expected_status=any
    ELSE IF    $action == "upload"
        ${jpeg} =    Photo Bytes    jpeg
        ${response} =    Upload Photo    ${listing}    ${actor}    ${jpeg}    expected_status=any
    ELSE IF    $action == "delete photo"
        ${response} =    Delete Photo    ${photo}    ${actor}    expected_status=any
    ELSE
        ${response} =    Request Listing History    ${listing}    ${actor}    expected_status=any
    END
    RETURN    ${response}

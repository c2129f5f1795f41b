*** Settings ***
Documentation     Who may do what to a listing: sellers own theirs, admins may do everything,
...               buyers and strangers are refused, and hidden listings stay hidden.

Resource          ../../keywords/api.resource
Resource          ../../keywords/audit.resource
Resource          ../../keywords/cast.resource
Resource          ../../keywords/database.resource
Resource          ../../keywords/listings.resource
Resource          ../../keywords/photos.resource

Suite Setup       Register The Cast
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
    ${OTHER_SELLER}    update    403
    ${BUYER}    update    403
    ${NOBODY}    update    401
    ${OTHER_SELLER}    delete    403
    ${BUYER}    delete    403
    ${NOBODY}    delete    401

Others Cannot Touch The Photos Or History Of A Seller's Listing
    [Documentation]    Photos and the change history belong to the owner and admins.
    [Template]    Change By Another Should Be Refused
    ${OTHER_SELLER}    upload    403
    ${BUYER}    upload    403
    ${NOBODY}    upload    401
    ${OTHER_SELLER}    delete photo    403
    ${NOBODY}    delete photo    401
    ${OTHER_SELLER}    history    403
    ${BUYER}    history    403
    ${NOBODY}    history    401

Another Seller Cannot Even See A Pending Listing
    [Documentation]    Whatever another seller tries on a listing under review, it does not exist for them.
    [Template]    Change By Another Should Be Refused
    ${OTHER_SELLER}    read    404    pending
    ${OTHER_SELLER}    update    404    pending
    ${OTHER_SELLER}    delete    404    pending
    ${OTHER_SELLER}    upload    404    pending
    ${OTHER_SELLER}    delete photo    404    pending
    ${OTHER_SELLER}    history    404    pending
    ${BUYER}    read    404    pending
    ${NOBODY}    read    404    pending

An Admin Can Edit Any Listing And Its Photos
    [Documentation]    Admins correct listings that are not theirs, and the history says who did.
    [Tags]    smoke
    ${listing} =    Create Listing As    ${SELLER}
    Update Listing As    ${ADMIN}    ${listing}    title=Corrected by the admin
    Listing Should Be Persisted    ${listing}    title=Corrected by the admin    version=2
    ${png} =    Photo Bytes    png
    ${photo} =    Upload Photo As    ${ADMIN}    ${listing}    ${png}    image/png
    Photos In Database Should Be    ${listing}    1
    Delete Photo As    ${ADMIN}    ${photo.json()}
    Photos In Database Should Be    ${listing}    0
    ${history} =    Listing History As    ${ADMIN}    ${listing}
    Change Should Be    ${history}[1]    update    ${ADMIN}

An Admin Can Read And Delete Any Listing
    [Documentation]    Admins see listings under review and remove what must go.
    ${listing} =    Create Listing As    ${SELLER}
    ${seen} =    Read Listing As    ${ADMIN}    ${listing}
    Should Be Equal    ${seen.json()}[status]    pending_review
    Delete Listing As    ${ADMIN}    ${listing}
    Listing Should Not Exist In Database    ${listing}
    Audit Should Record    listing.delete    ${listing}    by=${ADMIN}

The Owner Can Do Everything To Their Own Listing
    [Documentation]    The seller manages the whole life of their listing without an admin.
    [Tags]    smoke
    ${listing} =    Create Approved Listing    ${SELLER}    ${ADMIN}
    Update Listing As    ${SELLER}    ${listing}    grade=Battery grade
    Listing Should Be Persisted    ${listing}    grade=Battery grade    version=3
    ${webp} =    Photo Bytes    webp
    Upload Photo As    ${SELLER}    ${listing}    ${webp}    image/webp
    Photos In Database Should Be    ${listing}    1
    Delete Listing As    ${SELLER}    ${listing}
    Listing Should Not Exist In Database    ${listing}
    Photos In Database Should Be    ${listing}    0

A Bad Token Is Refused Even Where Anonymous Reading Is Allowed
    [Documentation]    A credential that is sent is checked, so a forged one never passes as anonymous.
    ${listing} =    Create Approved Listing    ${SELLER}    ${ADMIN}
    VAR    &{forged} =    access_token=not.a.jwt
    ${response} =    Read Listing As    ${forged}    ${listing}    expected_status=401
    Problem Should Be    ${response}    401    invalid_token


*** Keywords ***
Change By Another Should Be Refused
    [Documentation]    `actor` trying `action` on a fresh listing with a photo gets `status`; nothing changes.
    [Arguments]    ${actor}    ${action}    ${status}    ${state}=active
    ${listing} =    Create Listing As    ${SELLER}
    ${png} =    Photo Bytes    png
    ${photo} =    Upload Photo As    ${SELLER}    ${listing}    ${png}    image/png
    IF    $state == "active"    Approve Listing As    ${ADMIN}    ${listing}
    ${current} =    Read Listing As    ${SELLER}    ${listing}
    VAR    ${listing} =    ${current.json()}
    ${response} =    Attempt    ${actor}    ${action}    ${listing}    ${photo.json()}
    Problem Should Be    ${response}    ${status}
    Listing Should Be Persisted    ${listing}    status=${listing}[status]    version=${listing}[version]
    ...    title=${listing}[title]
    Photo Should Be Persisted    ${photo.json()}    ${png}    image/png

Attempt
    [Documentation]    `actor` tries `action` on `listing` (or its `photo`); returns the response.
    [Arguments]    ${actor}    ${action}    ${listing}    ${photo}
    IF    $action == "read"
        ${response} =    Read Listing As    ${actor}    ${listing}    expected_status=any
    ELSE IF    $action == "update"
        ${response} =    Update Listing As    ${actor}    ${listing}    expected_status=any    title=Taken over
    ELSE IF    $action == "delete"
        ${response} =    Delete Listing As    ${actor}    ${listing}    expected_status=any
    ELSE IF    $action == "upload"
        ${jpeg} =    Photo Bytes    jpeg
        ${response} =    Upload Photo As    ${actor}    ${listing}    ${jpeg}    expected_status=any
    ELSE IF    $action == "delete photo"
        ${response} =    Delete Photo As    ${actor}    ${photo}    expected_status=any
    ELSE
        ${response} =    Request Listing History As    ${actor}    ${listing}    expected_status=any
    END
    RETURN    ${response}

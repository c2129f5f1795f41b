*** Settings ***
Documentation     Creating listings: what the seller gets back, what is stored, and who sees it.

Resource          ../../keywords/audit.resource
Resource          ../../keywords/cast.resource
Resource          ../../keywords/database.resource
Resource          ../../keywords/listings.resource
Resource          ../../keywords/search.resource

Suite Setup       Register The Cast
Suite Teardown    Disconnect From Api Database

Test Tags         marketplace    listings    creation    db


*** Test Cases ***
A New Listing Is Pending And Stored With Its Defaults
    [Documentation]    Nothing is public before review, and the stock starts whole.
    [Tags]    smoke
    ${listing} =    Create Listing As    ${SELLER}    quantity=${12.5}    location=Kolwezi
    Should Be Equal    ${listing}[status]    pending_review
    Should Be Equal    ${listing}[available_quantity]    12.500
    Listing Should Be Persisted    ${listing}    status=pending_review    version=1
    ...    quantity=12.500    available_quantity=12.500    seller_id=${SELLER}[id]    location=Kolwezi
    ...    grade=None    status_reason=None    price_per_unit=2500000    currency=USD    country=CD
    History Should Be Recorded    ${listing}    create
    Audit Should Record    listing.create    ${listing}    by=${SELLER}

The Owner Sees A Pending Listing And Nobody Else Does
    [Documentation]    A listing under review is the seller's draft: others must not learn it exists.
    [Tags]    security
    ${listing} =    Create Listing As    ${SELLER}
    ${response} =    Read Listing As    ${SELLER}    ${listing}
    Should Be Equal    ${response.json()}[title]    ${listing}[title]
    Should Be Equal    ${response.headers}[ETag]    "1"
    Listing Should Be Hidden From    ${OTHER_SELLER}    ${listing}
    Listing Should Be Hidden From    ${BUYER}    ${listing}
    Listing Should Be Hidden From    ${NOBODY}    ${listing}
    Listing Should Be Persisted    ${listing}    status=pending_review

A Listing Appears In Search Only After Approval
    [Documentation]    Buyers find only what an admin has reviewed.
    [Tags]    smoke    search
    ${listing} =    Create Listing As    ${SELLER}    commodity=lithium
    Search Should Not Find    ${listing}    seller_id=${SELLER}[id]    commodity=lithium
    Approve Listing As    ${ADMIN}    ${listing}
    Listing Should Be Persisted    ${listing}    status=active    version=2
    ${shown} =    Search Result For    ${listing}    seller_id=${SELLER}[id]    commodity=lithium
    Should Be Equal    ${shown}[title]    ${listing}[title]

Quantities Are Stored Exactly
    [Documentation]    Quantities are decimals with three places, never rounded floats.
    [Template]    Quantity Should Be Stored As
    ${12.5}    12.500
    0.001    0.001
    ${7}    7.000
    999999999999.999    999999999999.999
    ${0.1}    0.100

Text At Its Longest Is Stored Whole
    [Documentation]    Each text field takes its documented maximum length, nothing cut off.
    [Template]    Text Should Be Stored Whole
    title    ${200}
    description    ${5000}
    location    ${200}
    grade    ${100}

Optional Fields May Be Null
    [Documentation]    Location and grade may be sent as null: the seller says "not known".
    ${listing} =    Create Listing With Nulls As    ${SELLER}    location    grade
    Should Be Equal    ${listing}[grade]    ${NONE}
    Listing Should Be Persisted    ${listing}    location=None    grade=None

Text Is Stored Without Surrounding Spaces
    [Documentation]    Spaces pasted around a title or a grade are not part of it, in answers or in the database.
    ${title} =    Evaluate    "Copper cathode lot " + uuid.uuid4().hex[:8]    modules=uuid
    ${listing} =    Create Listing As    ${SELLER}    title=${SPACE * 2}${title}${SPACE}    grade=${SPACE}A${SPACE}
    Should Be Equal    ${listing}[title]    ${title}
    Listing Should Be Persisted    ${listing}    title=${title}    grade=A


*** Keywords ***
Text Should Be Stored Whole
    [Documentation]    A listing whose `field` is `length` characters long is created and stored unchanged.
    [Arguments]    ${field}    ${length}
    ${text} =    Evaluate    ("Gold ore " * $length)[:$length - 1] + "."
    VAR    &{override} =    ${field}=${text}
    ${listing} =    Create Listing As    ${SELLER}    &{override}
    Should Be Equal    ${listing}[${field}]    ${text}
    Listing Should Be Persisted    ${listing}    &{override}

Quantity Should Be Stored As
    [Documentation]    A listing created with quantity `given` shows and stores `stored`.
    [Arguments]    ${given}    ${stored}
    ${listing} =    Create Listing As    ${SELLER}    quantity=${given}
    Should Be Equal    ${listing}[quantity]    ${stored}
    Listing Should Be Persisted    ${listing}    quantity=${stored}    available_quantity=${stored}

*** Settings ***
Documentation     Every bad listing body is a 4xx naming the field, and nothing is stored.
...               The suite's seller never owns a listing, so any stored row is a bug.

Resource          ../../keywords/api.resource
Resource          ../../keywords/cast.resource
Resource          ../../keywords/database.resource
Resource          ../../keywords/listings.resource

Suite Setup       Register The Cast
Suite Teardown    Disconnect From Api Database

Test Tags         marketplace    listings    validation    db


*** Variables ***
${MISSING}    <field left out>


*** Test Cases ***
Each Required Field Must Be Present
    [Documentation]    A listing without any one of these cannot be reviewed or sold.
    [Template]    Invalid Listing Should Change Nothing
    title    ${MISSING}
    commodity    ${MISSING}
    description    ${MISSING}
    quantity    ${MISSING}
    unit    ${MISSING}
    price_per_unit    ${MISSING}
    currency    ${MISSING}
    country    ${MISSING}

Text Fields Of The Wrong Type Are Refused
    [Documentation]    Types are checked before anything reaches the database; null is not a value.
    [Template]    Invalid Listing Should Change Nothing
    title    ${42}
    title    ${NONE}
    title    ${{["Gold"]}}
    description    ${{{"text": "x"}}}
    commodity    ${5}
    currency    ${840}
    country    ${NONE}
    location    ${5}
    grade    ${{["A"]}}

Numbers Of The Wrong Type Are Refused
    [Documentation]    Quantities are numbers or decimal strings; prices are whole numbers of minor units.
    [Template]    Invalid Listing Should Change Nothing
    quantity    ${TRUE}
    quantity    ${{[1]}}
    quantity    twelve
    quantity    ${NONE}
    price_per_unit    100
    price_per_unit    ${1.5}
    price_per_unit    ${FALSE}
    price_per_unit    ${NONE}

Out Of Range Quantities Are Refused
    [Documentation]    Quantities are positive, below 10^12, with at most three decimals, never rounded.
    [Template]    Invalid Listing Should Change Nothing
    quantity    ${0}
    quantity    0.000
    quantity    ${-1}
    quantity    -1
    quantity    1.2345
    quantity    ${0.0001}
    quantity    ${1000000000000}
    quantity    1e3

Out Of Range Prices Are Refused
    [Documentation]    Prices are positive minor units up to 10^12.
    [Template]    Invalid Listing Should Change Nothing
    price_per_unit    ${0}
    price_per_unit    ${-100}
    price_per_unit    ${1000000000001}

Values Outside The Catalogues Are Refused
    [Documentation]    Commodity, unit and currency come from fixed lists; country is an ISO code.
    [Template]    Invalid Listing Should Change Nothing
    commodity    unobtanium
    commodity    Gold
    commodity    ${EMPTY}
    unit    lb
    unit    KG
    currency    XYZ
    currency    usd
    currency    US
    country    ZAF
    country    za

Unknown And Protected Fields Are Refused
    [Documentation]    A seller cannot set the owner, the status, the stock or any made-up field.
    [Template]    Invalid Listing Should Change Nothing
    seller_id    ${{str(uuid.uuid4())}}
    status    active
    available_quantity    ${100}
    version    ${7}
    id    ${{str(uuid.uuid4())}}
    colour    red

Blank Oversized Or Unstorable Text Is Refused
    [Documentation]    Text must say something, fit its column and be storable.
    [Template]    Invalid Listing Should Change Nothing
    title    ${SPACE * 3}
    title    ab
    title    ${{"x" * 201}}
    description    ${EMPTY}
    description    ${{"x" * 5001}}
    title    ${{"nul \x00 byte"}}
    location    ${SPACE}
    location    ${{"x" * 201}}
    grade    ${{"x" * 101}}

Malformed Bodies Are Refused
    [Documentation]    Unreadable bodies get the right 4xx, never a 500.
    [Template]    Raw Listing Should Change Nothing
    {"title": "Gold",    application/json    400    malformed_json
    ${{"[" * 50}}    application/json    400    malformed_json
    ${{"[]"}}    application/json    422    validation_error
    "Gold"    application/json    422    validation_error
    title=Gold    application/x-www-form-urlencoded    415    unsupported_media_type
    <listing/>    application/xml    415    unsupported_media_type
    ${{'{"title": "' + "x" * 1100000 + '"}'}}    application/json    413    payload_too_large


*** Keywords ***
Invalid Listing Should Change Nothing
    [Documentation]    Creating a listing with `field` set to `value` (or left out) is a 422 naming it.
    [Arguments]    ${field}    ${value}
    ${body} =    Listing Payload
    IF    $value == $MISSING
        Remove From Dictionary    ${body}    ${field}
    ELSE
        Set To Dictionary    ${body}    ${field}=${value}
    END
    ${problem} =    Listing Creation Should Be Refused    ${SELLER}    ${body}    422    validation_error
    Problem Should Name Field    ${problem}    ${field}
    Listings Of Seller In Database Should Be    ${SELLER}    0

Raw Listing Should Change Nothing
    [Documentation]    Posting raw `data` as `content_type` gets `status` `code`, and nothing is stored.
    [Arguments]    ${data}    ${content_type}    ${status}    ${code}
    Raw Listing Should Be Refused    ${SELLER}    ${data}    ${content_type}    ${status}    ${code}
    Listings Of Seller In Database Should Be    ${SELLER}    0

*** Settings ***
Documentation     Profiles: people edit their own details and nothing else.

Resource          ../../keywords/accounts.resource
Resource          ../../keywords/cast.resource
Resource          ../../keywords/tokens.resource

Suite Setup       Connect To Api Database
Suite Teardown    Disconnect From Api Database

Test Tags         users    profile


*** Test Cases ***
Profile Shows The Own Account
    [Documentation]    The profile is the caller's, and never exposes the password hash.
    [Tags]    smoke
    ${buyer} =    Register Verified Buyer
    ${profile} =    Profile Of    ${buyer}
    Should Be Equal    ${profile}[email]    ${buyer}[email]
    Should Be Equal    ${profile}[role]    buyer
    Dictionary Should Not Contain Key    ${profile}    password_hash

Profile Update Is Persisted
    [Documentation]    Contact details must be editable, and the change must really be stored.
    [Tags]    smoke    db
    ${seller} =    Register Verified Seller
    ${response} =    Update Profile Of    ${seller}    full_name=Thandi Mokoena
    ...    phone=+27 11 555 0100    country=ZA    company=Rand Minerals
    Should Be Equal    ${response.json()}[company]    Rand Minerals
    Account Should Be Persisted As    ${seller}    full_name=Thandi Mokoena
    ...    phone=+27 11 555 0100    country=ZA    company=Rand Minerals

Protected Fields Cannot Be Changed Through The Profile
    [Documentation]    Self-service must never grant a role, a status or another identity.
    [Tags]    security    validation    db
    [Template]    Profile Change Should Be Refused
    role    admin
    email    someone-else@example.com
    status    active
    id    00000000-0000-0000-0000-000000000000
    password_hash    x

Invalid Profile Values Are Refused
    [Documentation]    Bad values are named per field and nothing is stored.
    [Tags]    validation    db
    [Template]    Profile Change Should Be Refused
    country    Zambia
    phone    call me maybe
    full_name    ${EMPTY}
    full_name    ${{["x"]}}

Each User Sees Only Their Own Profile
    [Documentation]    One user's data must never leak into another user's session.
    [Tags]    security
    ${first} =    Register Verified Buyer
    ${second} =    Register Verified Seller
    ${profile} =    Profile Of    ${second}
    Should Be Equal    ${profile}[id]    ${second}[id]
    Should Not Be Equal    ${profile}[email]    ${first}[email]

Anonymous Callers Get No Profile
    [Documentation]    Without a token there is no "me".
    [Tags]    security
    Token Should Be Refused    ${EMPTY}    scheme=${EMPTY}


*** Keywords ***
Profile Change Should Be Refused
    [Documentation]    A fresh buyer setting `field`=`value` gets 422 and the row is unchanged.
    [Arguments]    ${field}    ${value}
    ${buyer} =    Register Verified Buyer
    ${response} =    Update Profile Of    ${buyer}    expected_status=any    ${field}=${value}
    ${problem} =    Problem Should Be    ${response}    422    validation_error
    Problem Should Name Field    ${problem}    ${field}
    Account Should Be Persisted As    ${buyer}    role=buyer    status=active    email=${buyer}[email]
    ...    full_name=${buyer}[full_name]

*** Settings ***
Documentation     Every forged, stale or revoked access token is refused with 401 and a challenge.

Resource          ../../keywords/admin.resource
Resource          ../../keywords/cast.resource
Resource          ../../keywords/sessions.resource
Resource          ../../keywords/tokens.resource

Suite Setup       Register The Cast
Suite Teardown    Disconnect From Api Database

Test Tags         security    auth    tokens


*** Test Cases ***
Forged And Malformed Tokens Are Refused
    [Documentation]    Only tokens the API signed, for this audience, unexpired, are accepted.
    [Template]    Forged Token Should Be Refused
    expired
    tampered payload
    wrong signature
    alg none
    wrong audience
    wrong issuer
    missing claim
    garbage

Token Without Bearer Prefix Is Refused
    [Documentation]    Only the Bearer scheme is accepted.
    Token Should Be Refused    ${BUYER}[access_token]    scheme=Token

Missing Token Is Refused
    [Documentation]    Protected routes need a token at all.
    Token Should Be Refused    ${EMPTY}    missing_token    scheme=${EMPTY}

Token Of A User Disabled After Issue Is Refused
    [Documentation]    Disabling an account must cut its live sessions at once.
    [Tags]    db
    ${seller} =    Register Verified Seller
    Token Should Work    ${seller}
    Disable Account As    ${ADMIN}    ${seller}
    Token Of Actor Should Be Refused    ${seller}    account_inactive

A Token Minted With The Right Secret Works
    [Documentation]    Guards the forged-token tests: a correct token from the same minting helper passes.
    ${token} =    Mint Token For    ${BUYER}
    VAR    &{copy} =    &{BUYER}    access_token=${token}
    Token Should Work    ${copy}


*** Keywords ***
Forged Token Should Be Refused
    [Documentation]    A token forged by `kind` on the identity of the cast's `BUYER` is refused with 401.
    [Arguments]    ${kind}
    ${token} =    Forge Token    ${BUYER}    ${kind}
    Token Should Be Refused    ${token}

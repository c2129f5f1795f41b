*** Settings ***
Documentation     Onboarding: a seller and a buyer join, the seller lists a mineral, an admin
...               approves it, and the buyer finds it.

Resource          ../../keywords/journeys.resource

Suite Setup       Connect To Api Database
Suite Teardown    Disconnect From Api Database

Test Tags         workflow    onboarding    db


*** Test Cases ***
A Seller And A Buyer Meet On The Marketplace
    [Documentation]    The first day of two customers, from sign-up email to a search result.
    [Tags]    smoke
    ${word} =    Unique Word
    ${seller} =    Newcomer Signs Up And Verifies Email    seller
    Completes Profile    ${seller}    CD    Katanga Cobalt Ltd
    ${listing} =    Lists Mineral With Photos    ${seller}    cobalt    ${word}
    ${admin} =    Create Admin
    Admin Approves    ${admin}    ${listing}
    ${buyer} =    Newcomer Signs Up And Verifies Email    buyer
    Completes Profile    ${buyer}    ZA    Rand Battery Metals
    Buyer Finds It By Search And Filter    ${listing}    ${word}    cobalt

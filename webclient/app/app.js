/*
 * The users client: states, and the settings AngularJS needs under a strict
 * Content-Security-Policy (ng-csp on <html>, no inline scripts or styles, no eval).
 */
(function (angular) {
  'use strict';

  // The screens' controllers register on this module (list.js, form.js).
  angular.module('usersApp.screens', ['ui.router', 'toaster', 'usersApp.resource', 'usersApp.session', 'usersApp.history', 'usersApp.a11y']);

  angular.module('usersApp', ['ngAnimate', 'ui.router', 'toaster', 'usersApp.resource', 'usersApp.session', 'usersApp.a11y', 'usersApp.screens'])
    .config(['$compileProvider', '$locationProvider', function ($compileProvider, $locationProvider) {
      $compileProvider.debugInfoEnabled(false);
      $compileProvider.commentDirectivesEnabled(false);
      $locationProvider.hashPrefix('!');
    }])
    .config(['$stateProvider', '$urlRouterProvider', function ($stateProvider, $urlRouterProvider) {
      $stateProvider
        .state('users', { abstract: true, url: '', template: '<ui-view></ui-view>' })
        .state('users.list', {
          // Sort, search and the page's cursor live in the URL, so reload and "back" keep the
          // place; `at` is how many users come before the page (for "11-20 of ...").
          url: '/list?{sort:string}&{q:string}&{after:string}&{before:string}&{at:int}',
          params: {
            sort: { value: 'name', squash: true, dynamic: true },
            q: { value: '', squash: true, dynamic: true },
            after: { value: '', squash: true, dynamic: true },
            before: { value: '', squash: true, dynamic: true },
            at: { value: 0, squash: true, dynamic: true }
          },
          templateUrl: 'assets/app/list.html',
          controller: 'UserListController',
          controllerAs: 'vm'
        })
        .state('users.add', {
          url: '/add',
          data: { role: 'editor' },
          templateUrl: 'assets/app/form.html',
          controller: 'UserFormController',
          controllerAs: 'vm'
        })
        .state('users.edit', {
          url: '/{id:int}/edit',
          data: { role: 'editor' },
          templateUrl: 'assets/app/form.html',
          controller: 'UserFormController',
          controllerAs: 'vm'
        });
      // Signing in (signin.js), the admin pages (accounts.js) and the recently deleted users
      // (deleted.js); session.js keeps a browser that is not signed in on the sign-in page,
      // and a role below `data.role` off a page.
      $stateProvider
        .state('signin', {
          url: '/signin', templateUrl: 'assets/app/signin.html',
          controller: 'SignInController', controllerAs: 'vm'
        })
        .state('setup', {
          url: '/setup?code', templateUrl: 'assets/app/signin.html',
          controller: 'SignInController', controllerAs: 'vm'
        })
        .state('accounts', {
          url: '/accounts', templateUrl: 'assets/app/accounts.html', data: { role: 'admin' },
          controller: 'AccountsController', controllerAs: 'vm'
        })
        .state('tokens', {
          url: '/tokens', templateUrl: 'assets/app/tokens.html', data: { role: 'admin' },
          controller: 'TokensController', controllerAs: 'vm'
        })
        .state('deleted', {
          url: '/deleted', templateUrl: 'assets/app/deleted.html', data: { role: 'editor' },
          controller: 'DeletedUsersController', controllerAs: 'vm'
        });
      // Any other address goes to the list as a state transition, not a URL rewrite: a
      // rewrite racing the sign-in guard's asynchronous check can bounce the URL until
      // AngularJS gives up ($rootScope:infdig, ui-router's known otherwise/redirect loop).
      $urlRouterProvider.otherwise(function ($injector) {
        $injector.get('$state').go('users.list');
      });
    }]);
})(window.angular);

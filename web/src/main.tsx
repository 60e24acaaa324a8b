import { StrictMode, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import { AuthProvider, useAuth } from './auth.tsx';
import { Layout } from './Layout.tsx';
import { Events } from './pages/Events.tsx';
import { Login } from './pages/Login.tsx';
import { Webhooks } from './pages/Webhooks.tsx';
import { Placeholder } from './pages/Placeholder.tsx';
import { FlowsPage } from './flow/FlowsPage.tsx';
import './styles.css';

function Private({ children }: { children: ReactNode }) {
  const { profile, loading } = useAuth();
  if (loading) return <p className="loading">Loading…</p>;
  return profile ? children : <Navigate to="/login" replace />;
}

function App() {
  return (
    <Routes>
      <Route path="/login" element={<Login mode="login" />} />
      <Route path="/signup" element={<Login mode="signup" />} />
      <Route
        element={
          <Private>
            <Layout />
          </Private>
        }
      >
        <Route path="/webhooks" element={<Webhooks />} />
        <Route path="/events" element={<Events />} />
        <Route path="/flows/*" element={<FlowsPage />} />
        <Route path="/event-types" element={<Placeholder title="Event types" />} />
        <Route path="/api-keys" element={<Placeholder title="API keys" />} />
        <Route path="*" element={<Navigate to="/flows" replace />} />
      </Route>
    </Routes>
  );
}

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <BrowserRouter>
      <AuthProvider>
        <App />
      </AuthProvider>
    </BrowserRouter>
  </StrictMode>,
);
